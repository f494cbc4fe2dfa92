import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';

@ApiSchema({ name: 'ModelConstraints' })
export class ConstraintsDto {
  @ApiProperty({
    type: 'integer',
    nullable: true,
    example: 200,
    description: 'Floor silently applied to max_tokens / max_completion_tokens; null when none.',
  })
  min_max_tokens: number | null;
  @ApiProperty({
    example: false,
    description:
      'Whether image_url parts may carry a non-data: URL. False everywhere: inline images as base64 data URIs.',
  })
  accepts_image_url: boolean;
  @ApiProperty({
    type: 'integer',
    example: 8,
    description: 'Typical end-to-end seconds for a short answer.',
  })
  typical_response_seconds: number;
}

@ApiSchema({ name: 'ModelModalities' })
export class ModalitiesDto {
  @ApiProperty({
    enum: ['text', 'image', 'audio', 'video'],
    isArray: true,
    example: ['text', 'image'],
  })
  input: string[];
  @ApiProperty({ enum: ['text', 'image', 'audio', 'video'], isArray: true, example: ['text'] })
  output: string[];
}

@ApiSchema({ name: 'ModelLicensing' })
export class LicensingDto {
  @ApiProperty({ example: 'Llama 4 Community License' }) license: string;
  @ApiProperty({ example: true }) open_weights: boolean;
  @ApiProperty({
    oneOf: [{ type: 'boolean' }, { type: 'string', enum: ['on_fallback'] }],
    example: 'on_fallback',
    description:
      'Derived from the hops: `false` when every hop stays on the DGX, `"on_fallback"` when the ' +
      'first hop is local and a fallback hop is a cloud, `true` when the first hop is a cloud.',
  })
  data_leaves_dgx: boolean | 'on_fallback';
}

@ApiSchema({ name: 'RoutingHop' })
export class RoutingHopDto {
  @ApiPropertyOptional({
    example: 'vllm',
    description: 'Backend of this hop (absent for a composite member).',
  })
  backend?: string;
  @ApiPropertyOptional({
    example: 'RedHatAI/Llama-4-Scout-17B-16E-Instruct-quantized.w4a16',
    description: 'Upstream model id.',
  })
  model?: string;
  @ApiPropertyOptional({
    example: 'nano-banana',
    description: 'Member alias of a composite alias.',
  })
  alias?: string;
  @ApiPropertyOptional({
    type: 'integer',
    example: 65536,
    description: "This hop's build: its context window.",
  })
  context_window?: number;
  @ApiPropertyOptional({
    type: 'integer',
    example: 8192,
    description: "This hop's cap on completion tokens (a larger max_tokens is lowered).",
  })
  max_output_tokens?: number;
  @ApiPropertyOptional({
    example: false,
    description: 'Whether prompts leave the DGX on this hop.',
  })
  data_leaves_dgx?: boolean;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string', enum: ['drop', 'refuse'] },
    example: { logit_bias: 'drop', logprobs: 'refuse' },
    description:
      'Parameters this hop does not take: dropped (reported as `param_dropped=<name>` in ' +
      '`x-rust-api-applied`) or refused with 400 `unsupported_parameter`.',
  })
  unsupported_params?: Record<string, string>;
}

@ApiSchema({ name: 'ModelCatalogEntry' })
export class ModelInfoDto {
  @ApiProperty({ example: 'llama-4-scout' }) alias: string;
  @ApiProperty({ example: 'Meta Llama 4' }) family: string;
  @ApiProperty({ type: 'integer', example: 10000000, description: 'Context window in tokens.' })
  context_window: number;
  @ApiProperty({ example: true }) tools: boolean;
  @ApiProperty({ example: true, description: 'Accepts image input.' }) vision: boolean;
  @ApiProperty({
    oneOf: [{ type: 'boolean' }, { type: 'string', enum: ['configurable'] }],
    example: false,
  })
  reasoning: boolean | 'configurable';
  @ApiProperty({ type: ModalitiesDto }) modalities: ModalitiesDto;
  @ApiProperty({ type: [String], example: ['chat', 'tools', 'vision', 'streaming'] })
  capabilities: string[];
  @ApiProperty({ type: LicensingDto }) licensing: LicensingDto;
  @ApiProperty({ type: [RoutingHopDto], description: 'Ordered fallback chain.' })
  routing: RoutingHopDto[];
  @ApiProperty({ type: ConstraintsDto }) constraints: ConstraintsDto;
}

@ApiSchema({ name: 'Backend' })
export class BackendInfoDto {
  @ApiProperty({ example: 'vllm' }) name: string;
  @ApiProperty({ enum: ['local', 'cloud'], example: 'local' }) kind: string;
  @ApiProperty({
    enum: ['vllm', 'ollama-cloud', 'openrouter', 'litellm', 'openai'],
    example: 'vllm',
  })
  type: string;
  @ApiProperty({
    enum: ['available', 'unreachable', 'benched', 'not_configured', 'unknown'],
    example: 'available',
    description:
      'Live state: `benched` and `unreachable` backends are skipped until `benched_until`; ' +
      '`not_configured` ones (no key) never take traffic; the rest are shown for transparency.',
  })
  status: string;
  @ApiPropertyOptional({
    format: 'date-time',
    example: '2026-12-02T10:00:30.000Z',
    description: 'When the backend-wide bench ends (status `benched` or `unreachable`).',
  })
  benched_until?: string;
  @ApiPropertyOptional({
    enum: ['failures', 'unreachable', 'rate_limited', 'auth', 'model_not_found'],
    description: 'Why the backend is benched.',
  })
  bench_reason?: string;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: {
      type: 'object',
      properties: {
        until: { type: 'string', format: 'date-time' },
        reason: { type: 'string', enum: ['rate_limited', 'model_not_found'] },
      },
    },
    example: {
      'openai/gpt-5.5-pro': { until: '2026-12-02T10:01:00.000Z', reason: 'rate_limited' },
    },
    description:
      'Upstream models benched on their own (a 429 benches only that model), by upstream model id.',
  })
  benched_models?: Record<string, { until: string; reason: string }>;
  @ApiPropertyOptional({ example: 'vLLM 26.01-py3 with LMCache on the DGX Spark (GB10)' })
  description?: string;
  @ApiProperty({
    type: [String],
    example: ['llama-4-scout'],
    description: 'Aliases routed through this backend.',
  })
  aliases: string[];
}

@ApiSchema({ name: 'ModelCatalog' })
export class InfoResponseDto {
  @ApiProperty({ type: [ModelInfoDto] }) models: ModelInfoDto[];
  @ApiProperty({ type: [BackendInfoDto] }) backends: BackendInfoDto[];
}

@ApiSchema({ name: 'Model' })
export class ModelObjectDto {
  @ApiProperty({ example: 'llama-4-scout' }) id: string;
  @ApiProperty({ example: 'model', enum: ['model'] }) object: 'model';
  @ApiProperty({
    type: 'integer',
    example: 1767225600,
    description: 'Unix seconds (the gateway build date).',
  })
  created: number;
  @ApiProperty({ example: 'Meta Llama 4' }) owned_by: string;
}

@ApiSchema({ name: 'ListModelsResponse' })
export class ModelListDto {
  @ApiProperty({ example: 'list', enum: ['list'] }) object: 'list';
  @ApiProperty({ type: [ModelObjectDto] }) data: ModelObjectDto[];
}
