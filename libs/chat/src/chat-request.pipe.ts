import { Injectable, type PipeTransform } from '@nestjs/common';
import type { ChatCompletionRequest } from '@app/contracts';
import { validateChatRequest } from './validate-chat-request';

/** `@Body(ChatRequestPipe)`: the validated request, the very object the client sent. */
@Injectable()
export class ChatRequestPipe implements PipeTransform<unknown, ChatCompletionRequest> {
  transform(value: unknown): ChatCompletionRequest {
    return validateChatRequest(value);
  }
}
