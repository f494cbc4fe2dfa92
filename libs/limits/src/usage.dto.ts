import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class LimitStandingDto {
  @ApiProperty({ example: 60, description: 'The configured limit.' }) limit: number;
  @ApiProperty({
    example: 12,
    description:
      'Used in the window: requests or tokens of the last minute (per-minute limits, which refill ' +
      'continuously), tokens of the UTC day or month (budgets), requests in flight (concurrency).',
  })
  used: number;
  @ApiProperty({ example: 48 }) remaining: number;
  @ApiPropertyOptional({
    format: 'date-time',
    example: '2026-12-03T00:00:00.000Z',
    description:
      'When the limit is back at its initial state: a per-minute limit fully refilled, a budget ' +
      'window ended. Absent for concurrency.',
  })
  resets_at?: string;
  @ApiPropertyOptional({
    example: '2026-12-02',
    description: 'The UTC calendar window of a budget (`YYYY-MM-DD` or `YYYY-MM`).',
  })
  window?: string;
}

export class LimitSetDto {
  @ApiPropertyOptional({ type: LimitStandingDto }) requests_per_minute?: LimitStandingDto;
  @ApiPropertyOptional({ type: LimitStandingDto }) tokens_per_minute?: LimitStandingDto;
  @ApiPropertyOptional({ type: LimitStandingDto }) concurrent_requests?: LimitStandingDto;
  @ApiPropertyOptional({ type: LimitStandingDto }) tokens_per_day?: LimitStandingDto;
  @ApiPropertyOptional({ type: LimitStandingDto }) tokens_per_month?: LimitStandingDto;
}

export class AliasUsageDto {
  @ApiProperty({
    example: 'cloud',
    description: 'The `per_alias` entry: an alias, or an alias group of the keys file.',
  })
  scope: string;
  @ApiProperty({
    type: [String],
    example: ['gpt-5.5-pro', 'kimi-k2'],
    description: 'The aliases whose requests count against these limits (together).',
  })
  aliases: string[];
  @ApiProperty({ type: LimitSetDto }) limits: LimitSetDto;
}

export class UsageResponseDto {
  @ApiProperty({ example: 'gateway.usage', enum: ['gateway.usage'] }) object: 'gateway.usage';
  @ApiProperty({ example: 'team-a', description: "The calling key's name (never the key)." })
  key: string;
  @ApiProperty({
    example: true,
    description:
      'Whether these counters are shared by every replica (Redis reachable). False: this ' +
      "replica's own counters (no Redis configured, or Redis out under the `local` policy).",
  })
  shared: boolean;
  @ApiProperty({
    type: LimitSetDto,
    description: 'Key-wide limits, counted over every request of the key. Empty when none.',
  })
  limits: LimitSetDto;
  @ApiProperty({
    type: [AliasUsageDto],
    description: 'Further limits per alias or alias group; a request must pass all that apply.',
  })
  per_alias: AliasUsageDto[];
}
