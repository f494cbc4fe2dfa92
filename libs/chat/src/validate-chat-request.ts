import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import {
  CONTENT_PART_DTOS,
  CONTENT_PART_TYPES,
  ChatCompletionRequestDto,
  InvalidRequestError,
  MAX_CONTENT_PARTS,
  MAX_MESSAGES,
  MAX_MODALITIES,
  MAX_TOKENS_CAP,
  MAX_TOOLS,
  type ChatCompletionRequest,
} from '@app/contracts';
import { PROTOTYPE_KEYS, walkJson } from './json-walk';

/**
 * Fields that would pick the upstream, its credentials or its fallbacks (LiteLLM's client-side
 * routing parameters, OpenRouter's `provider`). Routing is the gateway's job: refused at any depth.
 */
export const ROUTING_CONTROL_KEYS: ReadonlySet<string> = new Set([
  'api_base',
  'base_url',
  'api_key',
  'api_version',
  'custom_llm_provider',
  'extra_headers',
  'user_config',
  'fallbacks',
  'context_window_fallbacks',
  'content_policy_fallbacks',
  'model_list',
  'provider',
]);

const VALIDATOR_OPTIONS = { stopAtFirstError: true } as const;

/**
 * Validates a parsed chat completion body and returns it unchanged (same object: vendor fields
 * intact, nothing stripped or coerced), or throws an {@link InvalidRequestError} whose `param` is
 * the exact path of the first bad field. Model-independent: per-model rules live in constraints.
 */
export function validateChatRequest(body: unknown): ChatCompletionRequest {
  return isPlainChatRequest(body) ? body : validateChatRequestInFull(body);
}

const PLAIN_REQUEST_KEYS: ReadonlySet<string> = new Set([
  'model',
  'messages',
  'stream',
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'n',
]);
const PLAIN_MESSAGE_KEYS: ReadonlySet<string> = new Set(['role', 'content', 'name']);
const PLAIN_ROLES: ReadonlySet<unknown> = new Set(['system', 'developer', 'user', 'assistant']);
const PLAIN_MODEL = /^[\x21-\x7e]{1,256}$/;

/**
 * The common request: plain text messages and a few sampling fields, nothing else, each well
 * within the DTO's rules. Such a body is valid by construction, so it skips the class-validator
 * pass (a quarter of the gateway's CPU per request); every other body, valid or not, takes the
 * full path, which alone words the errors. The spec pins that whatever this accepts, that accepts.
 */
export function isPlainChatRequest(body: unknown): body is ChatCompletionRequest {
  if (!isObject(body) || !Object.keys(body).every((key) => PLAIN_REQUEST_KEYS.has(key))) {
    return false;
  }
  const { model, messages, stream, max_tokens, max_completion_tokens, temperature, top_p, n } =
    body;
  return (
    typeof model === 'string' &&
    PLAIN_MODEL.test(model) &&
    Array.isArray(messages) &&
    messages.length >= 1 &&
    messages.length <= MAX_MESSAGES &&
    messages.every(isPlainMessage) &&
    (stream === undefined || typeof stream === 'boolean') &&
    (max_tokens === undefined || isTokenCount(max_tokens)) &&
    (max_completion_tokens === undefined || isTokenCount(max_completion_tokens)) &&
    (temperature === undefined || inRange(temperature, 0, 2)) &&
    (top_p === undefined || inRange(top_p, 0, 1)) &&
    (n === undefined || n === 1)
  );
}

function isPlainMessage(message: unknown): boolean {
  return (
    isObject(message) &&
    Object.keys(message).every((key) => PLAIN_MESSAGE_KEYS.has(key)) &&
    PLAIN_ROLES.has(message.role) &&
    typeof message.content === 'string' &&
    (message.name === undefined || typeof message.name === 'string')
  );
}

function isTokenCount(value: unknown): boolean {
  return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= MAX_TOKENS_CAP;
}

function inRange(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && value >= min && value <= max;
}

/** {@link validateChatRequest} without the plain-request shortcut: every rule, every body. */
export function validateChatRequestInFull(body: unknown): ChatCompletionRequest {
  if (!isObject(body)) {
    throw new InvalidRequestError('The request body must be a JSON object.');
  }
  checkSizes(body);
  checkKeysAndNumbers(body);
  throwFirst(
    validateSync(plainToInstance(ChatCompletionRequestDto, requestView(body)), VALIDATOR_OPTIONS),
    null,
  );
  const request = body as unknown as ChatCompletionRequest;
  request.messages.forEach((message, i) => {
    if (Array.isArray(message.content)) {
      (message.content as unknown[]).forEach((part, j) =>
        checkContentPart(part, `messages[${i}].content[${j}]`),
      );
    }
  });
  return request;
}

/**
 * Array sizes, checked before any per-item work so that a 20 MiB body of tiny items is refused
 * in constant time.
 */
function checkSizes(body: Record<string, unknown>): void {
  const { messages, tools, modalities } = body;
  tooMany(messages, MAX_MESSAGES, 'messages');
  tooMany(tools, MAX_TOOLS, 'tools');
  tooMany(modalities, MAX_MODALITIES, 'modalities');
  if (Array.isArray(messages)) {
    let parts = 0;
    for (const message of messages) {
      const content = isObject(message) ? message.content : undefined;
      parts += Array.isArray(content) ? content.length : 0;
    }
    if (parts > MAX_CONTENT_PARTS) {
      throw new InvalidRequestError(
        `The messages may hold at most ${MAX_CONTENT_PARTS} content parts in all; got ${parts}.`,
        'messages',
        'invalid_value',
      );
    }
  }
}

function tooMany(value: unknown, max: number, param: string): void {
  if (Array.isArray(value) && value.length > max) {
    throw new InvalidRequestError(
      `${param} may hold at most ${max} items; got ${value.length}.`,
      param,
      'invalid_value',
    );
  }
}

/**
 * What class-transformer gets to see: only the fields the DTOs declare, and every value the DTOs
 * merely type-check (a content array, a tool's JSON schema) replaced by a stand-in of the same JSON
 * type. The DTOs then judge exactly what they would judge on the body, but the cost no longer
 * grows with vendor fields or huge nested values (class-transformer deep-copies what it is given).
 */
function requestView(body: Record<string, unknown>): Record<string, unknown> {
  const view = pick(body, REQUEST_SCALARS);
  view.messages = Array.isArray(body.messages)
    ? body.messages.map((m: unknown) => (isObject(m) ? messageView(m) : m))
    : body.messages;
  view.stream_options = isObject(body.stream_options)
    ? pick(body.stream_options, ['include_usage'])
    : body.stream_options;
  view.tools = Array.isArray(body.tools)
    ? body.tools.map((t: unknown) => (isObject(t) ? toolView(t) : t))
    : body.tools;
  view.tool_choice = standIn(body.tool_choice);
  return view;
}

const REQUEST_SCALARS = [
  'model',
  'stream',
  'max_tokens',
  'max_completion_tokens',
  'n',
  'temperature',
  'top_p',
  'frequency_penalty',
  'presence_penalty',
  'seed',
  'modalities',
] as const;

function messageView(message: Record<string, unknown>): Record<string, unknown> {
  const view = pick(message, ['role', 'name', 'tool_call_id']);
  view.content = standIn(message.content);
  view.tool_calls = standIn(message.tool_calls);
  view.function_call = standIn(message.function_call);
  return view;
}

function toolView(tool: Record<string, unknown>): Record<string, unknown> {
  const fn = tool.function;
  return {
    type: tool.type,
    function: isObject(fn)
      ? { name: fn.name, description: fn.description, parameters: standIn(fn.parameters) }
      : fn,
  };
}

/** Same JSON type and emptiness, none of the contents. */
function standIn(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.length === 0 ? [] : [null];
  }
  return isObject(value) ? {} : value;
}

function pick(source: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const view: Record<string, unknown> = {};
  for (const key of keys) {
    if (source[key] !== undefined) {
      view[key] = source[key];
    }
  }
  return view;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One walk over the whole body: prototype keys, routing-control keys, non-finite numbers. */
function checkKeysAndNumbers(body: object): void {
  walkJson(body, (value, key, cursor) => {
    if (typeof key === 'string') {
      if (PROTOTYPE_KEYS.has(key)) {
        throw new InvalidRequestError(
          `The key "${key}" is not allowed anywhere in the body.`,
          cursor.path(),
          'forbidden_key',
        );
      }
      if (ROUTING_CONTROL_KEYS.has(key) && !insideJsonSchema(cursor.keys)) {
        const path = cursor.path();
        throw new InvalidRequestError(
          `"${path}" is not accepted: routing, credentials and fallbacks are chosen by the gateway.`,
          path,
          'unsupported_parameter',
        );
      }
    }
    if (typeof value === 'number' && !Number.isFinite(value)) {
      const path = cursor.path();
      throw new InvalidRequestError(
        `Invalid value for '${path}': numbers must be finite.`,
        path,
        'invalid_value',
      );
    }
  });
}

/**
 * A tool's `parameters` and a `response_format` JSON schema describe the caller's own data: a
 * property named `provider` there is a field of their function, not a routing instruction.
 */
function insideJsonSchema(keys: ReadonlyArray<string | number>): boolean {
  return (
    (keys.length > 4 &&
      keys[0] === 'tools' &&
      typeof keys[1] === 'number' &&
      keys[2] === 'function' &&
      keys[3] === 'parameters') ||
    (keys.length > 3 &&
      keys[0] === 'response_format' &&
      keys[1] === 'json_schema' &&
      keys[2] === 'schema')
  );
}

function checkContentPart(part: unknown, path: string): void {
  if (!isObject(part)) {
    throw new InvalidRequestError(
      `Invalid value for '${path}': a content part must be an object with a "type".`,
      path,
      'invalid_value',
    );
  }
  const type = part.type;
  if (!(CONTENT_PART_TYPES as readonly unknown[]).includes(type)) {
    throw new InvalidRequestError(
      `Invalid value for '${path}.type': expected one of ${CONTENT_PART_TYPES.join(', ')}.`,
      `${path}.type`,
      type === undefined ? 'missing_required_parameter' : 'invalid_value',
    );
  }
  const known = type as (typeof CONTENT_PART_TYPES)[number];
  throwFirst(
    validateSync(
      plainToInstance(CONTENT_PART_DTOS[known], partView(known, part)),
      VALIDATOR_OPTIONS,
    ),
    path,
  );
  if (type === 'image_url') {
    checkImageUrl((part.image_url as { url: string }).url, `${path}.image_url.url`);
  } else if (type === 'video_url') {
    checkInlineMedia((part.video_url as { url: string }).url, `${path}.video_url.url`, 'video');
  } else if (type === 'input_audio') {
    checkAudio(part.input_audio as { data: string; format: string }, `${path}.input_audio`);
  } else if (type === 'file') {
    checkFile(part.file as Record<string, unknown>, `${path}.file`);
  }
}

/** The fields each part DTO checks; a file part's object is only type-checked. */
function partView(
  type: (typeof CONTENT_PART_TYPES)[number],
  part: Record<string, unknown>,
): Record<string, unknown> {
  const inner = part[type];
  const fields: Record<typeof type, readonly string[] | null> = {
    text: null,
    image_url: ['url', 'detail'],
    input_audio: ['data', 'format'],
    video_url: ['url'],
    file: [],
  };
  const wanted = fields[type];
  return {
    type,
    [type]: wanted === null || !isObject(inner) ? inner : pick(inner, wanted),
  };
}

/**
 * Only inline images: the gateway never fetches a client-supplied URL (no SSRF, no DNS), and no
 * provider behind it does either. The data URI must be `data:image/<subtype>;base64,<base64>`.
 */
export function checkImageUrl(url: string, param: string): void {
  if (url.slice(0, 5).toLowerCase() !== 'data:') {
    throw new InvalidRequestError(
      'image_url must be a base64 data: URI (data:image/<type>;base64,...); the gateway never fetches URLs.',
      param,
      'image_url_not_supported',
    );
  }
  if (!isImageDataUri(url)) {
    throw new InvalidRequestError(
      `image_url is not a valid image data URI: expected data:image/<${RASTER_IMAGE_TYPES.join('|')}>;base64,<base64 data>.`,
      param,
      'invalid_image_data',
    );
  }
}

/**
 * Raster images only: an SVG is a document (scripts, external references) that the models
 * cannot read as pixels anyway.
 */
const RASTER_IMAGE_TYPES = [
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
const AUDIO_FORMATS = ['wav', 'mp3', 'flac', 'ogg', 'webm', 'm4a'];

/**
 * A `video_url` part (or any other inline medium) must carry its bytes as a base64 data URI of
 * its kind: the gateway never fetches a URL, and a backend that would fetch it must not be handed
 * one (e.g. a cloud-metadata address).
 */
function checkInlineMedia(url: string, param: string, kind: 'video'): void {
  if (!isBase64DataUri(url, kind)) {
    throw new InvalidRequestError(
      `${param} must be a base64 data: URI (data:${kind}/<type>;base64,...); the gateway never fetches URLs.`,
      param,
      'invalid_value',
    );
  }
}

function checkAudio(audio: { data: string; format: string }, param: string): void {
  if (!AUDIO_FORMATS.includes(audio.format)) {
    throw new InvalidRequestError(
      `Invalid value for '${param}.format': expected one of ${AUDIO_FORMATS.join(', ')}.`,
      `${param}.format`,
      'invalid_value',
    );
  }
  if (!isBase64(audio.data, 0, audio.data.length)) {
    throw new InvalidRequestError(
      `Invalid value for '${param}.data': expected base64-encoded audio bytes.`,
      `${param}.data`,
      'invalid_value',
    );
  }
}

/**
 * A `file` part carries its bytes inline (`file_data`, a base64 data URI, with an optional
 * `filename`). A `file_id` names a file stored at OpenAI; the gateway stores nothing and routes
 * to several providers, so it is refused rather than forwarded to one that cannot resolve it.
 */
function checkFile(file: Record<string, unknown>, param: string): void {
  if (file.file_id !== undefined) {
    throw new InvalidRequestError(
      `'${param}.file_id' is not supported: the gateway stores no files; send the bytes as file_data.`,
      `${param}.file_id`,
      'unsupported_parameter',
    );
  }
  const unknown = Object.keys(file).find((key) => key !== 'file_data' && key !== 'filename');
  if (unknown !== undefined) {
    throw new InvalidRequestError(
      `Unrecognized parameter '${param}.${unknown}'.`,
      `${param}.${unknown}`,
      'unknown_parameter',
    );
  }
  if (file.filename !== undefined && typeof file.filename !== 'string') {
    throw new InvalidRequestError(
      `Invalid value for '${param}.filename': expected a string.`,
      `${param}.filename`,
      'invalid_type',
    );
  }
  if (typeof file.file_data !== 'string') {
    throw new InvalidRequestError(
      `Missing required parameter: '${param}.file_data'.`,
      `${param}.file_data`,
      'missing_required_parameter',
    );
  }
  if (!isBase64DataUri(file.file_data, null)) {
    throw new InvalidRequestError(
      `${param}.file_data must be a base64 data: URI (data:<media type>;base64,...).`,
      `${param}.file_data`,
      'invalid_value',
    );
  }
}

const MEDIA_TYPE_HEADER = /^([a-z]+)\/([a-z0-9][a-z0-9.+-]{0,63});base64$/;

/** Base64 characters decoded per step into one reused buffer (a multiple of 4). */
const DECODE_CHUNK = 256 * 1024;
const decodeScratch = Buffer.allocUnsafe((DECODE_CHUNK / 4) * 3);

/**
 * `data:image/<subtype>;base64,<base64>`. The payload is checked by decoding it (natively, in
 * chunks into one reused buffer) and comparing lengths: Node's decoder skips or stops at any
 * character outside the alphabet, so the output comes up short. No regular expression runs over
 * the payload; a 20 MiB image costs a few milliseconds and no allocation of its size.
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
function isBase64(text: string, start: number, end: number): boolean {
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

/** Throws the first class-validator error as an InvalidRequestError naming its exact path. */
function throwFirst(errors: ValidationError[], prefix: string | null): void {
  if (errors.length === 0) {
    return;
  }
  let error = errors[0];
  let path = join(prefix, error.property, false);
  while (!hasConstraints(error) && error.children && error.children.length > 0) {
    const child = error.children[0];
    path = join(path, child.property, Array.isArray(error.value));
    error = child;
  }
  const [kind, message] = Object.entries(error.constraints ?? {})[0] ?? ['', 'is invalid'];
  // class-validator words a non-object item as "each value in nested property ..."; say it plainly.
  const reason = kind === 'nestedValidation' ? 'must be an object' : message;
  const missing = error.value === undefined;
  throw new InvalidRequestError(
    missing ? `Missing required parameter: '${path}'.` : `Invalid value for '${path}': ${reason}.`,
    path,
    missing ? 'missing_required_parameter' : 'invalid_value',
  );
}

function hasConstraints(error: ValidationError): boolean {
  return error.constraints !== undefined && Object.keys(error.constraints).length > 0;
}

function join(prefix: string | null, property: string, index: boolean): string {
  if (index) {
    return `${prefix ?? ''}[${property}]`;
  }
  return prefix === null ? property : `${prefix}.${property}`;
}
