import type { JsonSchema } from './json-schema';

const DEFS_PREFIX = '#/$defs/';
const COMPONENTS_PREFIX = '#/components/schemas/';

/**
 * The OpenAPI 3.1 `components.schemas` entries of a JSON Schema document: the root under `name`,
 * each `$defs` entry under its own name, every `#/$defs/X` reference rewritten to
 * `#/components/schemas/X`. Nothing else changes, so the published schema is the validated one.
 */
export function toComponentSchemas(name: string, schema: JsonSchema): Record<string, JsonSchema> {
  const { $schema: _dialect, $defs, ...root } = schema;
  const out: Record<string, JsonSchema> = { [name]: rewriteRefs(root) as JsonSchema };
  for (const [defName, def] of Object.entries(($defs ?? {}) as Record<string, JsonSchema>)) {
    out[defName] = rewriteRefs(def) as JsonSchema;
  }
  return out;
}

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(rewriteRefs);
  }
  if (typeof value !== 'object' || value === null) {
    return value;
  }
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    out[key] =
      key === '$ref' && typeof child === 'string' && child.startsWith(DEFS_PREFIX)
        ? COMPONENTS_PREFIX + child.slice(DEFS_PREFIX.length)
        : rewriteRefs(child);
  }
  return out;
}

/**
 * Adds schemas to `components.schemas`. A name already there must hold the same schema (shared
 * definitions such as `ForwardedValue` come from several request schemas); a different one is a
 * programming error and throws at boot.
 */
export function addComponentSchemas(
  target: Record<string, unknown>,
  schemas: Record<string, JsonSchema>,
): void {
  for (const [name, schema] of Object.entries(schemas)) {
    if (name in target && JSON.stringify(target[name]) !== JSON.stringify(schema)) {
      throw new Error(`OpenAPI schema "${name}" is defined twice, differently.`);
    }
    target[name] = schema;
  }
}

/**
 * Rewrites OpenAPI 3.0 `nullable: true` (what `@nestjs/swagger` decorators emit) the 3.1 way:
 * `type: [T, "null"]`, or `anyOf: [<schema>, {type: "null"}]` around a reference or composition.
 */
export function nullableTo31(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(nullableTo31);
  }
  if (typeof value !== 'object' || value === null) {
    return value;
  }
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    out[key] = nullableTo31(child);
  }
  if (out.nullable !== true) {
    return out;
  }
  const { nullable: _nullable, ...schema } = out;
  if (typeof schema.type === 'string') {
    const enumValues = Array.isArray(schema.enum)
      ? { enum: [...(schema.enum as unknown[]), null] }
      : {};
    return { ...schema, ...enumValues, type: [schema.type, 'null'] };
  }
  const { description, ...rest } = schema;
  return {
    ...(description !== undefined ? { description } : {}),
    anyOf: [rest, { type: 'null' }],
  };
}
