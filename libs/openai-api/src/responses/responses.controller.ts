import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiDataPolicyHeader, chatCallOf, SERVED_HEADERS } from '@app/chat';
import { ApiErrorResponses } from '@app/contracts';
import type { IdentifiedRequest } from '@app/telemetry';
import {
  RESPONSE_SCHEMA_NAME,
  RESPONSE_STREAM_DESCRIPTION,
  RESPONSE_STREAM_EVENT_SCHEMA_NAME,
} from './response.schema';
import { RESPONSES_REQUEST_SCHEMA_NAME } from './responses-request.schema';
import { ResponsesService } from './responses.service';

@ApiTags('responses')
@ApiBearerAuth()
@Controller('v1')
export class ResponsesController {
  constructor(private readonly responses: ResponsesService) {}

  @Post('responses')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'createResponse',
    summary: 'Create a response (OpenAI Responses API, stateless; JSON or SSE with `stream: true`)',
    description:
      'Translated to a chat completion and routed exactly like `POST /v1/chat/completions`: same catalog, constraints ' +
      '(`max_output_tokens` below `min_max_tokens` is raised and reported in `x-rust-api-applied`), fallback chain and ' +
      'data policy. Image-output aliases answer with `image_generation_call` items. Refused with 400 naming the field: ' +
      '`previous_response_id`, `conversation`, `store: true`, `background: true`, `prompt`, `truncation: "auto"`, built-in ' +
      'tools, `item_reference` and other stored or hosted items, `input_file`, image URLs and `file_id`s (inline base64 only).',
  })
  @ApiBody({ schema: { $ref: `#/components/schemas/${RESPONSES_REQUEST_SCHEMA_NAME}` } })
  @ApiResponse({
    status: 200,
    description: `The response: \`application/json\`, a \`Response\`. ${RESPONSE_STREAM_DESCRIPTION}`,
    headers: SERVED_HEADERS,
    content: {
      'application/json': { schema: { $ref: `#/components/schemas/${RESPONSE_SCHEMA_NAME}` } },
      'text/event-stream': {
        schema: { $ref: `#/components/schemas/${RESPONSE_STREAM_EVENT_SCHEMA_NAME}` },
      },
    },
  })
  @ApiDataPolicyHeader()
  @ApiErrorResponses(400, 401, 404, 413, 415, 502, 503)
  async create(
    @Body() body: unknown,
    @Req() req: IdentifiedRequest,
    @Res() res: Response,
  ): Promise<void> {
    await this.responses.create(chatCallOf(req), body, res);
  }
}
