import { Module } from '@nestjs/common';
import { CatalogModule } from '@app/catalog';
import { HealthModule } from '@app/health';
import { ChatController } from './chat.controller';
import { ChatService } from './chat.service';

/**
 * `POST /v1/chat/completions`: validation, constraints, routing, JSON and SSE relay. The body stage
 * (`BodyMiddleware`) is provided by the app, with the request pipeline's form routes.
 */
@Module({
  imports: [CatalogModule, HealthModule],
  controllers: [ChatController],
  providers: [ChatService],
  exports: [ChatService],
})
export class ChatModule {}
