import { applyDecorators, Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiDataPolicyHeader, chatCallOf, SERVED_HEADERS } from '@app/chat';
import { ApiErrorResponses } from '@app/contracts';
import type { IdentifiedRequest } from '@app/telemetry';
import {
  IMAGE_EDIT_SCHEMA_NAME,
  IMAGE_GENERATION_SCHEMA_NAME,
  IMAGES_RESPONSE_SCHEMA,
} from './images-request.schema';
import type { ImagesKind } from './images-to-chat';
import { ImagesService } from './images.service';

const TIMING =
  'Image generation takes ~15 s (nano-banana) to 100–180 s (gpt-image): set client timeouts ≥ 240 s.';

/** The two operations: everything that differs between them. */
const OPERATIONS: Record<
  ImagesKind,
  { path: string; operationId: string; summary: string; description: string; schema: string }
> = {
  generation: {
    path: 'generations',
    operationId: 'createImage',
    summary: 'Generate an image (OpenAI Images API) with an image-output alias',
    description:
      'One image per request, answered as `data[0].b64_json`. Routed like chat: `image-gen` tries nano-banana and falls ' +
      'back to gpt-image on hard failures only. Refused with 400: a model that does not output images, `n` > 1, ' +
      '`response_format: "url"` (the gateway stores nothing), `stream: true`.',
    schema: IMAGE_GENERATION_SCHEMA_NAME,
  },
  edit: {
    path: 'edits',
    operationId: 'createImageEdit',
    summary: 'Edit or combine images (OpenAI Images API) with an image-output alias',
    description:
      'Either form of OpenAI’s edit request: `multipart/form-data` with the images as `image` (or repeated `image[]`) ' +
      'files, as `client.images.edit` sends it, or JSON with base64 `data:` URIs in `images[].image_url`. The images ' +
      'go after the prompt to the image model (the image aliases take image input); otherwise as generations. ' +
      '`mask` is refused with 400.',
    schema: IMAGE_EDIT_SCHEMA_NAME,
  },
};

/** An Images API route and its OpenAPI operation, from {@link OPERATIONS}. */
function ImagesOperation(kind: ImagesKind): MethodDecorator {
  const { path, operationId, summary, description, schema } = OPERATIONS[kind];
  return applyDecorators(
    Post(path),
    HttpCode(200),
    ApiOperation({ operationId, summary, description: `${description} ${TIMING}` }),
    ApiBody({ schema: { $ref: `#/components/schemas/${schema}` } }),
    ApiResponse({
      status: 200,
      description: 'The image.',
      headers: SERVED_HEADERS,
      content: { 'application/json': { schema: IMAGES_RESPONSE_SCHEMA } },
    }),
    ApiDataPolicyHeader(),
    ApiErrorResponses(400, 401, 404, 413, 415, 429, 502, 503),
  );
}

@ApiTags('images')
@ApiBearerAuth()
@Controller('v1/images')
export class ImagesController {
  constructor(private readonly images: ImagesService) {}

  @ImagesOperation('generation')
  generate(
    @Body() body: unknown,
    @Req() req: IdentifiedRequest,
    @Res() res: Response,
  ): Promise<void> {
    return this.images.create('generation', chatCallOf(req), body, res);
  }

  @ImagesOperation('edit')
  edit(@Body() body: unknown, @Req() req: IdentifiedRequest, @Res() res: Response): Promise<void> {
    return this.images.create('edit', chatCallOf(req), body, res);
  }
}
