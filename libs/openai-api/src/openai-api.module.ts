import { Module } from '@nestjs/common';
import { ChatModule } from '@app/chat';
import { ResponsesController } from './responses/responses.controller';
import { ResponsesService } from './responses/responses.service';

/**
 * OpenAI's other shapes on the chat routing: `POST /v1/responses`. The request pipeline (auth,
 * body limits, …) is applied to these routes by the app, from its one declaration.
 */
@Module({
  imports: [ChatModule],
  controllers: [ResponsesController],
  providers: [ResponsesService],
  exports: [ResponsesService],
})
export class OpenAiApiModule {}
