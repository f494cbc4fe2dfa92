/** The OpenAPI schema name of a probe's answer. */
export const HEALTH_SCHEMA_NAME = 'HealthCheckResult';

const indicators = {
  type: 'object',
  description:
    'Indicators by name (`process`; `gateway`, `backends`, `benched`, `store`, `overload` on /readyz), each with its `status` and details.',
  additionalProperties: {
    type: 'object',
    required: ['status'],
    properties: { status: { type: 'string', enum: ['up', 'down'] } },
    // Each indicator adds its own details (backend states, benches, store and overload figures).
    additionalProperties: true,
  },
};

/** A probe's answer (`@nestjs/terminus`'s HealthCheckResult), JSON Schema 2020-12. */
export const HEALTH_CHECK_RESULT_SCHEMA = {
  type: 'object',
  required: ['status'],
  properties: {
    status: { type: 'string', enum: ['ok', 'error', 'shutting_down'] },
    info: indicators,
    error: indicators,
    details: indicators,
  },
};
