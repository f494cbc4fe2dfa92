import type { ServerResponse } from 'node:http';
import { Injectable } from '@nestjs/common';
import { CatalogService } from '@app/catalog';
import { ChatService, type ChatCall, type ChatRenderer } from '@app/chat';
import { InvalidRequestError } from '@app/contracts';
import { withParam } from '../gateway-error-param';
import { chatToImages } from './chat-to-images';
import { imagesToChat, type ImagesKind, type TranslatedImagesRequest } from './images-to-chat';

/**
 * `POST /v1/images/generations` and `/v1/images/edits` for the image-output aliases: one chat
 * completion through the same routing as chat (so `image-gen` falls back to `gpt-image` on hard
 * failures only, with the image models' long time budgets), answered in the Images API shape.
 */
@Injectable()
export class ImagesService {
  constructor(
    private readonly chat: ChatService,
    private readonly catalog: CatalogService,
  ) {}

  /** A generation or an edit: its body (JSON, or the edit form read into it) answered as images. */
  async create(
    kind: ImagesKind,
    call: ChatCall,
    body: unknown,
    res: ServerResponse,
  ): Promise<void> {
    const translated = imagesToChat(body, kind);
    const entry = this.catalog.require(translated.chat.model, call.principal);
    if (!entry.modalities.output.includes('image')) {
      const imageAliases = this.catalog
        .list(call.principal)
        .filter((model) => model.modalities.output.includes('image'))
        .map((model) => model.alias);
      throw new InvalidRequestError(
        `The model '${entry.alias}' does not generate images; use ${imageAliases.join(', ') || 'an image model'}.`,
        'model',
        'model_not_image_capable',
      );
    }
    await this.chat.complete(call, translated.chat, res, imagesRenderer(translated));
  }
}

function imagesRenderer({ request, paramOf }: TranslatedImagesRequest): ChatRenderer {
  return {
    json: (body) => chatToImages(body, request),
    stream: () => {
      throw new Error('The Images API never streams');
    },
    error: (error) => withParam(error, paramOf(error.param)),
  };
}
