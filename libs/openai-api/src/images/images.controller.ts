import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
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
import { ImagesService } from './images.service';

const TIMING =
  'Image generation takes ~15 s (nano-banana) to 100–180 s (gpt-image): set client timeouts ≥ 240 s.';

@ApiTags('images')
@ApiBearerAuth()
@Controller('v1/images')
export class ImagesController {
  constructor(private readonly images: ImagesService) {}

  @Post('generations')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'createImage',
    summary: 'Generate an image (OpenAI Images API) with an image-output alias',
    description:
      'One image per request, answered as `data[0].b64_json`. Routed like chat: `image-gen` tries nano-banana and falls ' +
      'back to gpt-image on hard failures only. Refused with 400: a model that does not output images, `n` > 1, ' +
      '`response_format: "url"` (the gateway stores nothing), `stream: true`. ' +
      TIMING,
  })
  @ApiBody({ schema: { $ref: `#/components/schemas/${IMAGE_GENERATION_SCHEMA_NAME}` } })
  @ApiResponse({
    status: 200,
    description: 'The generated image.',
    headers: SERVED_HEADERS,
    content: { 'application/json': { schema: IMAGES_RESPONSE_SCHEMA } },
  })
  @ApiDataPolicyHeader()
  @ApiErrorResponses(400, 401, 404, 413, 415, 502, 503)
  async generate(
    @Body() body: unknown,
    @Req() req: IdentifiedRequest,
    @Res() res: Response,
  ): Promise<void> {
    await this.images.generate(chatCallOf(req), body, res);
  }

  @Post('edits')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'createImageEdit',
    summary: 'Edit or combine images (OpenAI Images API, JSON form) with an image-output alias',
    description:
      'The input images go as base64 `data:` URIs in `images[].image_url`, after the prompt, to the image model (the ' +
      'image aliases take image input). Multipart uploads (`image` files) get 415, `mask` gets 400. ' +
      TIMING,
  })
  @ApiBody({ schema: { $ref: `#/components/schemas/${IMAGE_EDIT_SCHEMA_NAME}` } })
  @ApiResponse({
    status: 200,
    description: 'The edited image.',
    headers: SERVED_HEADERS,
    content: { 'application/json': { schema: IMAGES_RESPONSE_SCHEMA } },
  })
  @ApiDataPolicyHeader()
  @ApiErrorResponses(400, 401, 404, 413, 415, 502, 503)
  async edit(
    @Body() body: unknown,
    @Req() req: IdentifiedRequest,
    @Res() res: Response,
  ): Promise<void> {
    await this.images.edit(chatCallOf(req), body, res);
  }
}
