import type { ServerResponse } from 'node:http';
import { Injectable } from '@nestjs/common';
import { ChatService, type ChatCall, type ChatRenderer } from '@app/chat';
import { withParam } from '../gateway-error-param';
import { chatToResponse } from './chat-to-response';
import { ResponsesStreamTranslator } from './responses-stream';
import { responsesToChat, type TranslatedResponsesRequest } from './responses-to-chat';

/**
 * `POST /v1/responses`: the request becomes a chat completion and goes through the very same
 * routing as chat (catalog, constraints and floors, fallback chain, data policy); the answer comes
 * back as a `Response` object or as the Responses API's typed stream.
 */
@Injectable()
export class ResponsesService {
  constructor(private readonly chat: ChatService) {}

  async create(call: ChatCall, body: unknown, res: ServerResponse): Promise<void> {
    const translated = responsesToChat(body);
    await this.chat.complete(call, translated.chat, res, responsesRenderer(translated));
  }
}

function responsesRenderer(translated: TranslatedResponsesRequest): ChatRenderer {
  const { echo, paramOf } = translated;
  return {
    json: (body, alias) => chatToResponse(body, alias, echo),
    stream: (alias) => new ResponsesStreamTranslator(alias, echo),
    error: (error) => withParam(error, paramOf(error.param)),
  };
}
