import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Max,
  Min,
  ValidateBy,
  ValidateIf,
  ValidateNested,
  type ValidationArguments,
} from 'class-validator';

/** A 1×1 PNG as a data URI, for examples. */
export const TINY_PNG_DATA_URI =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

/** Most messages one request may carry. */
export const MAX_MESSAGES = 2048;
/** Highest `max_tokens` / `max_completion_tokens` accepted; above any model's window. */
export const MAX_TOKENS_CAP = 1_000_000;
/** Most tools one request may declare (OpenAI's own limit). */
export const MAX_TOOLS = 128;
/** Most content parts across all messages (images, audio, text pieces). */
export const MAX_CONTENT_PARTS = 4096;
/** Most entries in `modalities`. */
export const MAX_MODALITIES = 8;

export const CHAT_ROLES = ['system', 'developer', 'user', 'assistant', 'tool', 'function'] as const;
export const CONTENT_PART_TYPES = [
  'text',
  'image_url',
  'input_audio',
  'video_url',
  'file',
] as const;

/* ---------- content parts (validated one by one, so errors name `messages[i].content[j]`) ---------- */

export class TextPartDto {
  @ApiProperty({ enum: ['text'] }) @IsIn(['text']) type: 'text';
  @ApiProperty({ example: 'What is in this image?' }) @IsString() text: string;
}

export class ImageUrlDto {
  @ApiProperty({
    example: TINY_PNG_DATA_URI,
    description:
      'A base64 `data:image/<type>;base64,` URI. Any other URL is refused with `image_url_not_supported`: the gateway never fetches URLs.',
  })
  @IsString()
  url: string;
  @ApiPropertyOptional({ enum: ['auto', 'low', 'high'] })
  @IsOptional()
  @IsString()
  detail?: string;
}

export class ImageUrlPartDto {
  @ApiProperty({ enum: ['image_url'] }) @IsIn(['image_url']) type: 'image_url';
  @ApiProperty({ type: ImageUrlDto })
  @IsObject()
  @ValidateNested()
  @Type(() => ImageUrlDto)
  image_url: ImageUrlDto;
}

export class InputAudioDto {
  @ApiProperty({ description: 'Base64 audio bytes.' }) @IsString() data: string;
  @ApiProperty({ example: 'wav' }) @IsString() format: string;
}

export class InputAudioPartDto {
  @ApiProperty({ enum: ['input_audio'] }) @IsIn(['input_audio']) type: 'input_audio';
  @ApiProperty({ type: InputAudioDto })
  @IsObject()
  @ValidateNested()
  @Type(() => InputAudioDto)
  input_audio: InputAudioDto;
}

export class VideoUrlDto {
  @ApiProperty() @IsString() url: string;
}

export class VideoUrlPartDto {
  @ApiProperty({ enum: ['video_url'] }) @IsIn(['video_url']) type: 'video_url';
  @ApiProperty({ type: VideoUrlDto })
  @IsObject()
  @ValidateNested()
  @Type(() => VideoUrlDto)
  video_url: VideoUrlDto;
}

export class FilePartDto {
  @ApiProperty({ enum: ['file'] }) @IsIn(['file']) type: 'file';
  @ApiProperty({ type: 'object', additionalProperties: true }) @IsObject() file: object;
}

/** The DTO that validates a content part of each known `type`. */
export const CONTENT_PART_DTOS: Record<(typeof CONTENT_PART_TYPES)[number], new () => object> = {
  text: TextPartDto,
  image_url: ImageUrlPartDto,
  input_audio: InputAudioPartDto,
  video_url: VideoUrlPartDto,
  file: FilePartDto,
};

/* ---------- messages ---------- */

/**
 * `content` is a string or an array of parts; it may be null or absent only on an assistant
 * message that carries `tool_calls` (or the legacy `function_call`).
 */
function IsMessageContent(): PropertyDecorator {
  return ValidateBy({
    name: 'isMessageContent',
    validator: {
      validate(value: unknown, args?: ValidationArguments): boolean {
        if (typeof value === 'string' || Array.isArray(value)) {
          return true;
        }
        if (value !== null && value !== undefined) {
          return false;
        }
        const message = (args?.object ?? {}) as Record<string, unknown>;
        return (
          message.role === 'assistant' &&
          ((Array.isArray(message.tool_calls) && message.tool_calls.length > 0) ||
            (typeof message.function_call === 'object' && message.function_call !== null))
        );
      },
      defaultMessage(args?: ValidationArguments): string {
        return args?.value === null || args?.value === undefined
          ? 'content is required (it may be null only on an assistant message with tool_calls)'
          : 'content must be a string or an array of content parts';
      },
    },
  });
}

export class ChatMessageDto {
  @ApiProperty({ enum: CHAT_ROLES, example: 'user' })
  @IsIn(CHAT_ROLES)
  role: string;

  @ApiProperty({
    oneOf: [
      { type: 'string' },
      {
        type: 'array',
        items: {
          type: 'object',
          required: ['type'],
          properties: { type: { type: 'string', enum: [...CONTENT_PART_TYPES] } },
          additionalProperties: true,
        },
      },
    ],
    nullable: true,
    description:
      'A string, or an array of parts: `text`, `image_url` (base64 data URI only), `input_audio`, `video_url`, `file`.',
    example: 'Hello!',
  })
  @IsMessageContent()
  content?: unknown;

  @ApiPropertyOptional() @IsOptional() @IsString() name?: string;

  @ApiPropertyOptional({ description: 'Required on a `tool` message.' })
  @ValidateIf(
    (m: ChatMessageDto) =>
      m.role === 'tool' || (m.tool_call_id !== undefined && m.tool_call_id !== null),
  )
  @IsString()
  @IsNotEmpty()
  tool_call_id?: string;

  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
  })
  @IsOptional()
  @IsArray()
  tool_calls?: unknown[];
}

/* ---------- tools ---------- */

export class FunctionDefinitionDto {
  @ApiProperty({ example: 'get_weather' }) @IsString() @Length(1, 64) name: string;
  @ApiPropertyOptional() @IsOptional() @IsString() description?: string;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'JSON Schema of the arguments.',
  })
  @IsOptional()
  @IsObject()
  parameters?: object;
}

export class ToolDto {
  @ApiProperty({ enum: ['function'] }) @IsIn(['function']) type: 'function';
  @ApiProperty({ type: FunctionDefinitionDto })
  @IsObject()
  @ValidateNested()
  @Type(() => FunctionDefinitionDto)
  function: FunctionDefinitionDto;
}

function IsToolChoice(): PropertyDecorator {
  return ValidateBy({
    name: 'isToolChoice',
    validator: {
      validate: (value: unknown): boolean =>
        value === 'none' ||
        value === 'auto' ||
        value === 'required' ||
        (typeof value === 'object' && value !== null && !Array.isArray(value)),
      defaultMessage: (): string =>
        'tool_choice must be "none", "auto", "required" or an object naming a function',
    },
  });
}

export class StreamOptionsDto {
  @ApiPropertyOptional({
    description: 'Send a last chunk with token usage before `data: [DONE]`.',
  })
  @IsOptional()
  @IsBoolean()
  include_usage?: boolean;
}

/* ---------- the request ---------- */

/**
 * The chat completion request, as validated (no implicit conversion: `"stream": "false"` is an
 * error) and documented. Validation only reads it: the original body is what is forwarded, with
 * every field the gateway does not know (`top_k`, `reasoning`, `chat_template_kwargs`, ...) intact.
 * Property order is the order errors are reported in.
 */
export class ChatCompletionRequestDto {
  @ApiProperty({ example: 'llama-4-scout', description: 'A model alias from /v1/info.' })
  @IsString()
  @Length(1, 256)
  model: string;

  @ApiProperty({ type: [ChatMessageDto], minItems: 1, maxItems: MAX_MESSAGES })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_MESSAGES)
  @ValidateNested({ each: true })
  @Type(() => ChatMessageDto)
  messages: ChatMessageDto[];

  @ApiPropertyOptional({ description: 'Relay the answer as server-sent events.', default: false })
  @IsOptional()
  @IsBoolean()
  stream?: boolean;

  @ApiPropertyOptional({ type: StreamOptionsDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => StreamOptionsDto)
  stream_options?: StreamOptionsDto;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: MAX_TOKENS_CAP,
    description:
      "Raised silently to the model's `min_max_tokens` when below it (reported in `x-rust-api-applied`).",
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_TOKENS_CAP)
  max_tokens?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_TOKENS_CAP })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_TOKENS_CAP)
  max_completion_tokens?: number;

  @ApiPropertyOptional({ enum: [1], description: 'Only one choice per request.' })
  @IsOptional()
  @IsInt()
  @IsIn([1], { message: 'n must be 1: the gateway returns a single choice' })
  n?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 2 })
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(2)
  temperature?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 1 })
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(1)
  top_p?: number;

  @ApiPropertyOptional({ minimum: -2, maximum: 2 })
  @IsOptional()
  @IsNumber()
  @Min(-2)
  @Max(2)
  frequency_penalty?: number;

  @ApiPropertyOptional({ minimum: -2, maximum: 2 })
  @IsOptional()
  @IsNumber()
  @Min(-2)
  @Max(2)
  presence_penalty?: number;

  @ApiPropertyOptional({ description: 'An integer within ±(2^53 − 1).' })
  @IsOptional()
  @IsInt()
  @Min(Number.MIN_SAFE_INTEGER)
  @Max(Number.MAX_SAFE_INTEGER)
  seed?: number;

  @ApiPropertyOptional({ type: [ToolDto], maxItems: MAX_TOOLS })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_TOOLS)
  @ValidateNested({ each: true })
  @Type(() => ToolDto)
  tools?: ToolDto[];

  @ApiPropertyOptional({
    oneOf: [
      { type: 'string', enum: ['none', 'auto', 'required'] },
      { type: 'object', additionalProperties: true },
    ],
  })
  @IsOptional()
  @IsToolChoice()
  tool_choice?: unknown;

  @ApiPropertyOptional({
    type: [String],
    example: ['image', 'text'],
    description:
      'Output modalities. Set to `["image","text"]` automatically for image-output aliases unless given.',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_MODALITIES)
  @IsString({ each: true })
  modalities?: string[];
}

/** Named request examples for the chat route's OpenAPI body (`@ApiBody({ examples })`). */
export const CHAT_REQUEST_EXAMPLES = {
  chat: {
    summary: 'Plain chat',
    value: {
      model: 'llama-4-scout',
      messages: [
        { role: 'system', content: 'You are a concise assistant.' },
        { role: 'user', content: 'What is the capital of France?' },
      ],
      max_tokens: 100,
    },
  },
  vision: {
    summary: 'Vision with a base64 data URI',
    value: {
      model: 'qwen3-vl-30b-instruct',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in this image?' },
            { type: 'image_url', image_url: { url: TINY_PNG_DATA_URI } },
          ],
        },
      ],
    },
  },
  image: {
    summary: 'Image generation',
    value: {
      model: 'nano-banana',
      messages: [{ role: 'user', content: 'A watercolor lighthouse at dawn' }],
    },
  },
  stream: {
    summary: 'Streaming with usage',
    value: {
      model: 'gpt-5.5-pro',
      messages: [{ role: 'user', content: 'Write a haiku about GPUs.' }],
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 500,
    },
  },
};
