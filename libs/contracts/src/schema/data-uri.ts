/** JSON Schema `format`s of inline media: bytes only, never a URL for anyone to fetch. */
export const DATA_URI_FORMATS = {
  /** `data:image/<raster type>;base64,<base64>`. */
  image: 'image-data-uri',
  /** `data:video/<type>;base64,<base64>`. */
  video: 'video-data-uri',
  /** `data:<type>/<subtype>;base64,<base64>`. */
  any: 'data-uri',
  /** Standard, correctly padded base64 (OpenAPI's `byte`). */
  base64: 'byte',
} as const;

/**
 * Raster images only: an SVG is a document (scripts, external references) that the models
 * cannot read as pixels anyway.
 */
export const RASTER_IMAGE_TYPES: readonly string[] = [
  'png',
  'jpeg',
  'jpg',
  'gif',
  'webp',
  'bmp',
  'tiff',
  'avif',
  'heic',
  'heif',
];

/** Audio formats the OpenAI API and vLLM's audio models take inline. */
export const AUDIO_FORMATS: readonly string[] = ['wav', 'mp3', 'flac', 'ogg', 'webm', 'm4a'];

const MEDIA_TYPE_HEADER = /^([a-z]+)\/([a-z0-9][a-z0-9.+-]{0,63});base64$/;

/** Base64 characters decoded per step into one reused buffer (a multiple of 4). */
const DECODE_CHUNK = 256 * 1024;
const decodeScratch = Buffer.allocUnsafe((DECODE_CHUNK / 4) * 3);

/**
 * `data:image/<raster subtype>;base64,<base64>` (scheme and media type case-insensitive). The
 * payload is checked by decoding it (natively, in chunks into one reused buffer) and comparing
 * lengths: Node's decoder skips or stops at any character outside the alphabet, so the output
 * comes up short. No regular expression runs over the payload; a 20 MiB image costs a few
 * milliseconds and no allocation of its size.
 */
export function isImageDataUri(url: string): boolean {
  return isBase64DataUri(url, 'image');
}

/**
 * `data:<kind>/<subtype>;base64,<base64>` (any kind when `kind` is null; images raster only),
 * checked as {@link isImageDataUri} describes.
 */
export function isBase64DataUri(url: string, kind: string | null): boolean {
  if (url.slice(0, 5).toLowerCase() !== 'data:') {
    return false;
  }
  const comma = url.indexOf(',', 5);
  const header =
    comma < 0 || comma > 96 ? null : MEDIA_TYPE_HEADER.exec(url.slice(5, comma).toLowerCase());
  if (
    header === null ||
    (kind !== null && header[1] !== kind) ||
    (header[1] === 'image' && !RASTER_IMAGE_TYPES.includes(header[2]))
  ) {
    return false;
  }
  return isBase64(url, comma + 1, url.length);
}

/** Whether `text[start, end)` is standard, correctly padded base64 (see {@link isImageDataUri}). */
export function isBase64(text: string, start = 0, end = text.length): boolean {
  let padding = 0;
  while (padding < 2 && end > start && text.charCodeAt(end - 1) === 0x3d) {
    end--;
    padding++;
  }
  const data = text.slice(start, end);
  // Unpadded data may end on 2 or 3 characters, never on 1; padded data is whole quads.
  if (data.length === 0 || data.length % 4 === 1 || (padding > 0 && (data.length + padding) % 4)) {
    return false;
  }
  // Node also decodes the URL-safe alphabet; base64 here is the standard one.
  if (data.includes('-') || data.includes('_')) {
    return false;
  }
  for (let at = 0; at < data.length; at += DECODE_CHUNK) {
    const chunk = data.slice(at, at + DECODE_CHUNK);
    if (decodeScratch.write(chunk, 0, 'base64') !== Math.floor((chunk.length * 3) / 4)) {
      return false;
    }
  }
  return true;
}
