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
  ChatCompletionChunkDto,
  ChatCompletionRequestDto,
  ChatCompletionResponseDto,
  type ChatCompletionRequest,
} from '@app/contracts';
import type { IdentifiedRequest } from '@app/telemetry';
import { chatCallOf } from './chat-call';
import { ChatRequestPipe } from './chat-request.pipe';
import {
  APPLIED_HEADER,
  BACKEND_HEADER,
  ChatService,
  FALLBACKS_HEADER,
  MEMBER_HEADER,
} from './chat.service';

const SERVED_HEADERS = {
  'x-request-id': {
    description:
      "The client's id when well-formed (1–128 of [A-Za-z0-9._:-]), else a generated one; also sent upstream.",
    schema: { type: 'string' },
  },
  [APPLIED_HEADER]: {
    description:
      'Constraint adjustments applied, comma-separated, e.g. `max_tokens_floored=200`. Absent when none.',
    schema: { type: 'string', example: 'max_tokens_floored=200' },
  },
  [BACKEND_HEADER]: {
    description: 'The backend that served the request.',
    schema: { type: 'string', example: 'vllm' },
  },
  [FALLBACKS_HEADER]: {
    description:
      'Backends that failed or were benched before it, comma-separated. Absent when none.',
    schema: { type: 'string', example: 'vllm' },
  },
  [MEMBER_HEADER]: {
    description:
      "The alias whose hop served (a composite's member, e.g. nano-banana for image-gen).",
    schema: { type: 'string', example: 'nano-banana' },
  },
};

@ApiTags('chat')
@ApiBearerAuth()
@ApiExtraModels(ChatCompletionResponseDto, ChatCompletionChunkDto)
@Controller('v1/chat')
export class ChatController {
  constructor(private readonly chat: ChatService) {}

  @Post('completions')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Create a chat completion (OpenAI-compatible; JSON or SSE with `stream: true`)',
    description:
      "Constraints of the alias are enforced before anything is forwarded: `max_tokens` below the model's `min_max_tokens` is raised " +
      '(reported in `x-rust-api-applied`), `image_url` must be a base64 `data:` URI, and inputs the model cannot take are refused. ' +
      "The request goes along the alias's fallback chain; image-output aliases answer with the image at " +
      '`choices[0].message.images[0].image_url.url`. Image generation can take 100–180 s: set client timeouts ≥ 240 s.',
  })
  @ApiBody({ type: ChatCompletionRequestDto })
  @ApiResponse({
    status: 200,
    description:
      'The completion: JSON, or an SSE stream of `chat.completion.chunk` events ending with `data: [DONE]` (an upstream failure mid-stream ends with a `data: {"error":…}` event instead).',
    headers: SERVED_HEADERS,
    content: {
      'application/json': { schema: { $ref: getSchemaPath(ChatCompletionResponseDto) } },
      'text/event-stream': {
        schema: {
          type: 'string',
          description: 'SSE: `data: <ChatCompletionChunk JSON>` events, then `data: [DONE]`.',
        },
        example:
          'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1767225600,"model":"llama-4-scout","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}\n\ndata: [DONE]\n\n',
      },
    },
  })
  @ApiErrorResponses(400, 401, 404, 413, 415, 502, 503)
  async create(
    @Body(ChatRequestPipe) request: ChatCompletionRequest,
    @Req() req: IdentifiedRequest,
    @Res() res: Response,
  ): Promise<void> {
    await this.chat.complete(chatCallOf(req), request, res);
  }
}
