import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';

@ApiSchema({ name: 'ChatCompletionMessageImageUrl' })
export class ImageOutputUrlDto {
  @ApiProperty({
    example:
      'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGBgAAAABQABpfZFQAAAAABJRU5ErkJggg==',
  })
  url: string;
}

@ApiSchema({ name: 'ChatCompletionMessageImage' })
export class ImageOutputDto {
  @ApiProperty({ example: 'image_url', enum: ['image_url'] }) type: 'image_url';
  @ApiProperty({ type: ImageOutputUrlDto }) image_url: ImageOutputUrlDto;
}

@ApiSchema({ name: 'ChatCompletionResponseMessage' })
export class AssistantMessageDto {
  @ApiProperty({ example: 'assistant', enum: ['assistant'] }) role: 'assistant';
  @ApiProperty({ type: String, nullable: true, example: 'Hello from the DGX.' }) content:
    string | null;
  @ApiPropertyOptional({
    type: [Object],
    description: 'Tool calls, as the upstream returned them.',
  })
  tool_calls?: unknown[];
  @ApiPropertyOptional({
    type: [ImageOutputDto],
    description:
      'Generated images (image aliases): `images[0].image_url.url` is a `data:image/...;base64,` URI.',
  })
  images?: ImageOutputDto[];
}

@ApiSchema({ name: 'ChatCompletionChoice' })
export class ChoiceDto {
  @ApiProperty({ type: 'integer', example: 0 }) index: number;
  @ApiProperty({ type: AssistantMessageDto }) message: AssistantMessageDto;
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'stop',
    enum: ['stop', 'length', 'tool_calls', 'content_filter', 'error'],
  })
  finish_reason: string | null;
}

@ApiSchema({ name: 'CompletionUsage' })
export class UsageDto {
  @ApiProperty({ type: 'integer', example: 12 }) prompt_tokens: number;
  @ApiProperty({ type: 'integer', example: 200 }) completion_tokens: number;
  @ApiProperty({ type: 'integer', example: 212 }) total_tokens: number;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'integer' },
    example: { reasoning_tokens: 120 },
  })
  completion_tokens_details?: Record<string, number>;
}

@ApiSchema({ name: 'CreateChatCompletionResponse' })
export class ChatCompletionResponseDto {
  @ApiProperty({ example: 'chatcmpl-9f2c' }) id: string;
  @ApiProperty({ example: 'chat.completion', enum: ['chat.completion'] }) object: 'chat.completion';
  @ApiProperty({ type: 'integer', example: 1767225600 }) created: number;
  @ApiProperty({ example: 'llama-4-scout', description: 'The alias the client asked for.' })
  model: string;
  @ApiProperty({ type: [ChoiceDto] }) choices: ChoiceDto[];
  @ApiPropertyOptional({ type: UsageDto }) usage?: UsageDto;
}

@ApiSchema({ name: 'ChatCompletionStreamResponseDelta' })
export class DeltaDto {
  @ApiPropertyOptional({ example: 'assistant' }) role?: string;
  @ApiPropertyOptional({ type: String, nullable: true, example: 'Hel' }) content?: string | null;
  @ApiPropertyOptional({ type: [ImageOutputDto] }) images?: ImageOutputDto[];
}

@ApiSchema({ name: 'ChatCompletionStreamChoice' })
export class ChunkChoiceDto {
  @ApiProperty({ type: 'integer', example: 0 }) index: number;
  @ApiProperty({ type: DeltaDto }) delta: DeltaDto;
  @ApiProperty({ type: String, nullable: true, example: null }) finish_reason: string | null;
}

/** One `data:` event of a streamed completion. */
@ApiSchema({ name: 'CreateChatCompletionStreamResponse' })
export class ChatCompletionChunkDto {
  @ApiProperty({ example: 'chatcmpl-9f2c' }) id: string;
  @ApiProperty({ example: 'chat.completion.chunk', enum: ['chat.completion.chunk'] })
  object: 'chat.completion.chunk';
  @ApiProperty({ type: 'integer', example: 1767225600 }) created: number;
  @ApiProperty({ example: 'llama-4-scout' }) model: string;
  @ApiProperty({
    type: [ChunkChoiceDto],
    description: 'Empty in the final usage chunk (stream_options.include_usage).',
  })
  choices: ChunkChoiceDto[];
  @ApiPropertyOptional({ type: UsageDto, nullable: true }) usage?: UsageDto | null;
}
