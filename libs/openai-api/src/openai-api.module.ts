import { Module } from '@nestjs/common';
import { CatalogModule } from '@app/catalog';
import { ChatModule } from '@app/chat';
import { ImagesController } from './images/images.controller';
import { ImagesService } from './images/images.service';
import { ResponsesController } from './responses/responses.controller';
import { ResponsesService } from './responses/responses.service';

/**
 * OpenAI's other shapes on the chat routing: `POST /v1/responses`, `POST /v1/images/generations`,
 * `POST /v1/images/edits`. The request pipeline (auth,
 * body limits, …) is applied to these routes by the app, from its one declaration.
 */
@Module({
  imports: [ChatModule, CatalogModule],
  controllers: [ResponsesController, ImagesController],
  providers: [ResponsesService, ImagesService],
  exports: [ResponsesService, ImagesService],
})
export class OpenAiApiModule {}
