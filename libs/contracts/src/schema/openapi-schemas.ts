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
  const defs = ($defs ?? {}) as Record<string, JsonSchema>;
  const out: Record<string, JsonSchema> = { [name]: rewriteRefs(root, defs) as JsonSchema };
  for (const [defName, def] of Object.entries(defs)) {
    out[defName] = rewriteRefs(def, defs) as JsonSchema;
  }
  return out;
}

/**
 * The OpenAPI `discriminator.mapping` of a `oneOf` of `$defs` references, read from each branch's
 * `const` tag (or each value of its `enum`). JSON Schema validators ignore it (Ajv refuses it, so
 * the source omits it); client generators need it, or they take the schema names for the tag
 * values.
 */
function mappingOf(
  discriminator: JsonSchema,
  branches: unknown,
  defs: Record<string, JsonSchema>,
): Record<string, string> | undefined {
  if (!Array.isArray(branches) || typeof discriminator.propertyName !== 'string') {
    return undefined;
  }
  const mapping: Record<string, string> = {};
  for (const branch of branches as JsonSchema[]) {
    const target = typeof branch.$ref === 'string' ? branch.$ref : '';
    const def = defs[target.slice(DEFS_PREFIX.length)];
    const tag = (def?.properties as Record<string, JsonSchema> | undefined)?.[
      discriminator.propertyName
    ];
    const tags: unknown[] =
      tag?.const !== undefined ? [tag.const] : ((tag?.enum as unknown[]) ?? []);
    if (
      !target.startsWith(DEFS_PREFIX) ||
      tags.length === 0 ||
      tags.some((value) => typeof value !== 'string')
    ) {
      return undefined;
    }
    for (const value of tags as string[]) {
      mapping[value] = COMPONENTS_PREFIX + target.slice(DEFS_PREFIX.length);
    }
  }
  return mapping;
}

function rewriteRefs(value: unknown, defs: Record<string, JsonSchema>): unknown {
  if (Array.isArray(value)) {
    return value.map((item) => rewriteRefs(item, defs));
  }
  if (typeof value !== 'object' || value === null) {
    return value;
  }
  const source = value as JsonSchema;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(source)) {
    if (key === '$ref' && typeof child === 'string' && child.startsWith(DEFS_PREFIX)) {
      out[key] = COMPONENTS_PREFIX + child.slice(DEFS_PREFIX.length);
    } else if (key === 'discriminator' && typeof child === 'object' && child !== null) {
      const mapping = mappingOf(child as JsonSchema, source.oneOf, defs);
      out[key] = mapping ? { ...child, mapping } : child;
    } else {
      out[key] = rewriteRefs(child, defs);
    }
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
