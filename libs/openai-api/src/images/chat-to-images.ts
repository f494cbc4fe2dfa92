import { GatewayError } from '@app/contracts';
import { imageData, isObject } from '../responses/chat-to-response';
import type { ImagesRequest, ImagesResponse } from './images.types';

/**
 * A chat completion from an image-output alias as the Images API answer: each generated image's
 * base64 bytes in `data[].b64_json`, the chat usage as image usage. An answer without an image is
 * a 502: the model did not do what the route promises.
 */
export function chatToImages(
  body: Record<string, unknown>,
  request: ImagesRequest,
): ImagesResponse {
  const choice: unknown = Array.isArray(body.choices) ? body.choices[0] : undefined;
  const message = isObject(choice) && isObject(choice.message) ? choice.message : {};
  const images = Array.isArray(message.images) ? message.images : [];
  const data: Array<{ b64_json: string }> = [];
  let format: string | undefined;
  for (const image of images) {
    const url = isObject(image) && isObject(image.image_url) ? image.image_url.url : undefined;
    const parsed = typeof url === 'string' ? imageData(url) : undefined;
    if (parsed) {
      data.push({ b64_json: parsed.base64 });
      format ??= parsed.format;
    }
  }
  if (data.length === 0) {
    throw new GatewayError(
      502,
      'no_image_generated',
      'The model answered without an image (it may have refused the prompt); nothing to return.',
    );
  }
  const created = typeof body.created === 'number' ? body.created : Math.floor(Date.now() / 1000);
  const response: ImagesResponse = { created, data };
  if (format !== undefined) {
    response.output_format = format;
  }
  if (request.size && request.size !== 'auto') {
    response.size = request.size;
  }
  if (request.quality && request.quality !== 'auto') {
    response.quality = request.quality;
  }
  const usage = isObject(body.usage) ? body.usage : undefined;
  if (usage) {
    const input = count(usage.prompt_tokens);
    const output = count(usage.completion_tokens);
    const details = isObject(usage.prompt_tokens_details) ? usage.prompt_tokens_details : {};
    const imageTokens = Math.min(count(details.image_tokens), input);
    response.usage = {
      input_tokens: input,
      input_tokens_details: { text_tokens: input - imageTokens, image_tokens: imageTokens },
      output_tokens: output,
      total_tokens: input + output,
    };
  }
  return response;
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
}
