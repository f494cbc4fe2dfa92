import { Module } from '@nestjs/common';
import { CatalogModule } from '@app/catalog';
import { HealthModule } from '@app/health';
import { ChatController } from './chat.controller';
import { ChatService } from './chat.service';
import { JsonBodyMiddleware } from './json-body.middleware';

/** `POST /v1/chat/completions`: body limits and validation, constraints, routing, JSON and SSE relay. */
@Module({
  imports: [CatalogModule, HealthModule],
  controllers: [ChatController],
  providers: [ChatService, JsonBodyMiddleware],
  exports: [ChatService, JsonBodyMiddleware],
})
export class ChatModule {}
