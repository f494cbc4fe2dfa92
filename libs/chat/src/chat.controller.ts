import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiExtraModels,
  ApiOperation,
  ApiResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Response } from 'express';
import {
  ApiErrorResponses,
  CHAT_REQUEST_SCHEMA_NAME,
  CHAT_STREAM_EVENT_SCHEMA_NAME,
  ChatCompletionChunkDto,
  ChatCompletionResponseDto,
  type ChatCompletionRequest,
} from '@app/contracts';
import type { IdentifiedRequest } from '@app/telemetry';
import { chatCallOf } from './chat-call';
import { ChatRequestPipe } from './chat-request.pipe';
import { ChatService } from './chat.service';
import { ApiDataPolicyHeader, SERVED_HEADERS } from './served-headers';

@ApiTags('chat')
@ApiBearerAuth()
@ApiExtraModels(ChatCompletionResponseDto, ChatCompletionChunkDto)
@Controller('v1/chat')
export class ChatController {
  constructor(private readonly chat: ChatService) {}

  @Post('completions')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'createChatCompletion',
    summary: 'Create a chat completion (OpenAI-compatible; JSON or SSE with `stream: true`)',
    description:
      "Constraints of the alias are enforced before anything is forwarded: `max_tokens` below the model's `min_max_tokens` is raised " +
      '(reported in `x-rust-api-applied`), `image_url` must be a base64 `data:` URI, and inputs the model cannot take are refused. ' +
      "The request goes along the alias's fallback chain; image-output aliases answer with the image at " +
      '`choices[0].message.images[0].image_url.url`. Image generation can take 100–180 s: set client timeouts ≥ 240 s.',
  })
  @ApiBody({ schema: { $ref: `#/components/schemas/${CHAT_REQUEST_SCHEMA_NAME}` } })
  @ApiResponse({
    status: 200,
    description:
      'The completion. With `stream: false` (the default): `application/json`, a `CreateChatCompletionResponse`. ' +
      'With `stream: true`: `text/event-stream`, each event a `CreateChatCompletionStreamEvent`: one `data: <CreateChatCompletionStreamResponse JSON>` event per chunk, ' +
      'then the terminal `data: [DONE]` (not JSON). An upstream failure after the first event ends the stream with ' +
      '`data: <ErrorResponse JSON>` (a stream error code) and no `[DONE]`. A stream looks like:\n\n' +
      '```\n' +
      'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1767225600,"model":"llama-4-scout","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]}\n\n' +
      'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1767225600,"model":"llama-4-scout","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n' +
      'data: [DONE]\n' +
      '```',
    headers: SERVED_HEADERS,
    content: {
      'application/json': { schema: { $ref: getSchemaPath(ChatCompletionResponseDto) } },
      'text/event-stream': {
        schema: { $ref: `#/components/schemas/${CHAT_STREAM_EVENT_SCHEMA_NAME}` },
      },
    },
  })
  @ApiDataPolicyHeader()
  @ApiErrorResponses(400, 401, 404, 413, 415, 429, 502, 503)
  async create(
    @Body(ChatRequestPipe) request: ChatCompletionRequest,
    @Req() req: IdentifiedRequest,
    @Res() res: Response,
  ): Promise<void> {
    await this.chat.complete(chatCallOf(req), request, res);
  }
}
