import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
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
  IsUrl,
  Matches,
  Max,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';

const MODALITIES = ['text', 'image', 'audio', 'video'];
export const ALIAS_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

// Validation shapes of config/gateway.yaml. Unknown keys are refused, so a typo names itself.

export class ServerSchema {
  @IsString() @IsNotEmpty() host = '0.0.0.0';
  @IsInt() @Min(0) @Max(65535) port = 8080;
  @IsInt() @Min(0) @Max(65535) metrics_port = 9464;
  @IsInt() @Min(1024) body_limit_bytes = 20 * 1024 * 1024;
  @IsNumber() @Min(0) shutdown_delay_seconds = 5;
  @IsNumber() @Min(0) shutdown_grace_seconds = 270;
  @IsInt() @Min(0) max_inflight_requests = 256;
  @IsInt() @Min(0) max_inflight_body_bytes = 96 * 1024 * 1024;
}

export class RoutingSchema {
  @IsInt() @Min(1) connect_timeout_ms = 5000;
  @IsNumber() @Min(1) headers_timeout_factor = 8;
  @IsInt() @Min(1) headers_timeout_min_ms = 30000;
  @IsInt() @Min(1) stream_idle_timeout_ms = 60000;
  @IsInt() @Min(1) stream_max_duration_ms = 900000;
  @IsInt() @Min(1024) stream_max_bytes = 64 * 1024 * 1024;
  @IsInt() @Min(1024) stream_max_event_bytes = 8 * 1024 * 1024;
  @IsInt() @Min(1024) upstream_max_body_bytes = 16 * 1024 * 1024;
  @IsInt() @Min(1) total_timeout_ms = 300000;
  @IsInt() @Min(1) failure_threshold = 3;
  @IsNumber() @Min(1) failure_window_seconds = 60;
  @IsNumber() @Min(0) cooldown_seconds = 30;
  @IsNumber() @Min(1) health_interval_seconds = 10;
}

export class BackendSchema {
  @Matches(ALIAS_PATTERN, {
    message: 'must be a lower-case name of letters, digits, ".", "_" or "-"',
  })
  name: string;
  @IsIn(['vllm', 'ollama-cloud', 'openrouter', 'litellm', 'openai']) type: string;
  @IsIn(['local', 'cloud']) kind: string;
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true }) url: string;
  @IsOptional() @IsString() api_key?: string;
  @IsOptional() @IsString() description?: string;
}

export class ConstraintsSchema {
  @ValidateIf((_, v) => v !== null) @IsInt() @Min(1) min_max_tokens: number | null;
  @IsBoolean() accepts_image_url: boolean;
  @IsNumber() @Min(0) typical_response_seconds: number;
}

export class ModalitiesSchema {
  @IsArray() @ArrayMinSize(1) @IsIn(MODALITIES, { each: true }) input: string[];
  @IsArray() @ArrayMinSize(1) @IsIn(MODALITIES, { each: true }) output: string[];
}

export class LicensingSchema {
  @IsString() @IsNotEmpty() license: string;
  @IsBoolean() open_weights: boolean;
}

export class HopSchema {
  @ValidateIf((o: HopSchema) => o.alias === undefined) @IsString() @IsNotEmpty() backend?: string;
  @ValidateIf((o: HopSchema) => o.alias === undefined) @IsString() @IsNotEmpty() model?: string;
  @ValidateIf((o: HopSchema) => o.backend === undefined) @IsString() @IsNotEmpty() alias?: string;
  // Facts of this hop's own build of the model (a backend hop only; checked in crossCheck).
  @IsOptional() @IsInt() @Min(1) context_window?: number;
  @IsOptional() @IsInt() @Min(1) max_output_tokens?: number;
  @IsOptional() @IsBoolean() data_leaves_dgx?: boolean;
  @IsOptional() @IsObject() unsupported_params?: Record<string, string>;
}

export class ModelSchema {
  @Matches(ALIAS_PATTERN, {
    message: 'must be a lower-case name of letters, digits, ".", "_" or "-"',
  })
  alias: string;
  @IsString() @IsNotEmpty() family: string;
  @IsInt() @Min(1) context_window: number;
  @IsBoolean() tools: boolean;
  @IsBoolean() vision: boolean;
  @IsIn([true, false, 'configurable']) reasoning: boolean | 'configurable';
  @ValidateNested() @Type(() => ModalitiesSchema) modalities: ModalitiesSchema;
  @IsArray() @IsString({ each: true }) capabilities: string[];
  @ValidateNested() @Type(() => LicensingSchema) licensing: LicensingSchema;
  @IsArray()
  @ArrayMinSize(1)
  @ValidateNested({ each: true })
  @Type(() => HopSchema)
  routing: HopSchema[];
  @ValidateNested() @Type(() => ConstraintsSchema) constraints: ConstraintsSchema;
  @IsOptional() @IsNumber() @Min(1) headers_timeout_seconds?: number;
}

export class GatewayFileSchema {
  @IsOptional() @ValidateNested() @Type(() => ServerSchema) server: ServerSchema =
    new ServerSchema();
  @IsOptional() @ValidateNested() @Type(() => RoutingSchema) routing: RoutingSchema =
    new RoutingSchema();
  @IsArray()
  @ArrayMinSize(1)
  @ValidateNested({ each: true })
  @Type(() => BackendSchema)
  backends: BackendSchema[];
  @IsArray()
  @ArrayMinSize(1)
  @ValidateNested({ each: true })
  @Type(() => ModelSchema)
  models: ModelSchema[];
}

export class KeysFileEntrySchema {
  @IsString() @IsNotEmpty() name: string;
  @Matches(/^[\x21-\x7e]{16,4096}$/, {
    message: 'must be 16–4096 printable characters without spaces',
  })
  key: string;
  @IsOptional() @IsArray() @IsString({ each: true }) models?: string[];
  @IsOptional() @IsIn(['any', 'local_only']) data_policy?: string;
  // Checked by readLimits (limits-config.ts), which names every bad entry.
  @IsOptional() @IsObject() limits?: Record<string, unknown>;
}

export class KeysFileDefaultsSchema {
  @IsOptional() @IsObject() limits?: Record<string, unknown>;
}

export class KeysFileSchema {
  @IsOptional() @IsObject() alias_groups?: Record<string, unknown>;
  @IsOptional()
  @ValidateNested()
  @Type(() => KeysFileDefaultsSchema)
  defaults?: KeysFileDefaultsSchema;
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => KeysFileEntrySchema)
  keys: KeysFileEntrySchema[];
}
