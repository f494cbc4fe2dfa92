import fc from 'fast-check';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020.js';
import { DATA_URI_FORMATS, isBase64, isBase64DataUri } from '@app/contracts';

type Schema = Record<string, unknown>;

const DOCUMENT_ID = 'https://gateway.test/openapi.json';

/** Keywords the generator understands or may ignore; any other makes it throw, so a new rule cannot go unseen. */
const KNOWN = new Set([
  '$ref',
  'type',
  'const',
  'enum',
  'properties',
  'required',
  'additionalProperties',
  'propertyNames',
  'patternProperties',
  'items',
  'minItems',
  'maxItems',
  'maxProperties',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'pattern',
  'format',
  'anyOf',
  'oneOf',
  'allOf',
  'not',
  'discriminator',
  'description',
  'examples',
  'x-error-code',
]);

/**
 * An independent reading of a published OpenAPI 3.1 document: a fresh Ajv over its
 * `components.schemas`, with the formats its descriptions define. Tests use it as the oracle of
 * what the document accepts, and the generator uses it for property names (`propertyNames`).
 */
export class PublishedSchemas {
  private readonly ajv: Ajv2020;

  constructor(readonly document: { components: { schemas: Record<string, Schema> } }) {
    // `discriminator` is left to `oneOf` (its `mapping` is an OpenAPI annotation Ajv does not take).
    this.ajv = new Ajv2020({ strict: false, allErrors: false });
    this.ajv.addFormat(DATA_URI_FORMATS.image, (s: string) => isBase64DataUri(s, 'image'));
    this.ajv.addFormat(DATA_URI_FORMATS.video, (s: string) => isBase64DataUri(s, 'video'));
    this.ajv.addFormat(DATA_URI_FORMATS.any, (s: string) => isBase64DataUri(s, null));
    this.ajv.addFormat(DATA_URI_FORMATS.base64, (s: string) => isBase64(s));
    this.ajv.addSchema({ $id: DOCUMENT_ID, components: document.components });
  }

  /** A validator for a named component schema, as the document states it. */
  validator(name: string): ValidateFunction {
    const validate = this.ajv.getSchema(`${DOCUMENT_ID}#/components/schemas/${name}`);
    if (!validate) {
      throw new Error(`no schema ${name}`);
    }
    return validate;
  }

  /** A validator for any subschema of the document (its `$ref`s resolve against the document). */
  compile(schema: Schema): ValidateFunction {
    return this.ajv.compile(absoluteRefs(schema) as Schema);
  }

  resolve(schema: Schema): Schema {
    let current = schema;
    while (typeof current.$ref === 'string') {
      const name = current.$ref.replace('#/components/schemas/', '');
      current = this.document.components.schemas[name];
      if (!current) {
        throw new Error(`unresolved ${String(schema.$ref)}`);
      }
    }
    return current;
  }
}

/** A subschema of the document with its `#/…` references made absolute, to compile on its own. */
function absoluteRefs(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(absoluteRefs);
  }
  if (typeof value !== 'object' || value === null) {
    return value;
  }
  return Object.fromEntries(
    Object.entries(value).map(([key, child]) => [
      key,
      key === '$ref' && typeof child === 'string' && child.startsWith('#')
        ? `${DOCUMENT_ID}${child}`
        : absoluteRefs(child),
    ]),
  );
}

export interface ArbitraryOptions {
  /** Most items generated for an array (on top of `minItems`). */
  maxExtraItems?: number;
  /** Most undeclared (vendor) properties added to an object whose schema allows them. */
  maxVendorKeys?: number;
  /** Fixed values for some properties of the root object (e.g. a model alias that exists). */
  rootOverrides?: Record<string, fc.Arbitrary<unknown>>;
}

const BASE64 = fc
  .uint8Array({ minLength: 1, maxLength: 12 })
  .map((bytes) => Buffer.from(bytes).toString('base64'));
const FORMAT_ARBITRARIES: Record<string, fc.Arbitrary<string>> = {
  [DATA_URI_FORMATS.image]: fc
    .tuple(fc.constantFrom('png', 'jpeg', 'webp', 'gif', 'PNG'), BASE64)
    .map(([type, data]) => `data:image/${type};base64,${data}`),
  [DATA_URI_FORMATS.video]: BASE64.map((data) => `data:video/mp4;base64,${data}`),
  [DATA_URI_FORMATS.any]: fc
    .tuple(fc.constantFrom('application/pdf', 'text/plain', 'image/png'), BASE64)
    .map(([type, data]) => `data:${type};base64,${data}`),
  [DATA_URI_FORMATS.base64]: BASE64,
};

/**
 * Values valid under a JSON Schema of the published document, built from its keywords alone:
 * what a client reading the document would send. Strings, numbers and arrays explore their
 * bounds; optional properties come and go; objects that allow undeclared properties get vendor
 * fields (any JSON the `propertyNames` rule allows).
 */
export function arbitraryFor(
  published: PublishedSchemas,
  name: string,
  options: ArbitraryOptions = {},
): fc.Arbitrary<unknown> {
  const maxExtraItems = options.maxExtraItems ?? 3;
  const maxVendorKeys = options.maxVendorKeys ?? 2;
  const keyChecks = new Map<Schema, ValidateFunction>();
  const memo = new Map<Schema, fc.Arbitrary<unknown>>();

  /**
   * Rules the builder does not construct values from (`allOf` beside a type, an object-level
   * `not`), kept by filtering: e.g. `n` at most 1 within `maximum: 10`, `stream` never `true`.
   */
  const constrained = (schema: Schema, arbitrary: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> => {
    const rules: Schema = {};
    if (Array.isArray(schema.allOf)) {
      rules.allOf = schema.allOf;
    }
    if (schema.not !== undefined && !isForbidden(schema)) {
      rules.not = schema.not;
    }
    if (Object.keys(rules).length === 0) {
      return arbitrary;
    }
    const check = published.compile(rules);
    return arbitrary.filter((value) => check(value));
  };

  /** Whether an object under `schema` may hold `key` (its `patternProperties` refusals, `propertyNames`). */
  const keyAllowed = (schema: Schema | undefined, key: string): boolean => {
    if (schema === undefined) {
      return true;
    }
    for (const [pattern, rule] of Object.entries(
      (schema.patternProperties ?? {}) as Record<string, Schema>,
    )) {
      if (isForbidden(rule) && new RegExp(pattern, 'u').test(key)) {
        return false;
      }
    }
    const propertyNames = schema.propertyNames as Schema | undefined;
    if (propertyNames === undefined) {
      return true;
    }
    let check = keyChecks.get(propertyNames);
    if (!check) {
      check = published.compile(propertyNames);
      keyChecks.set(propertyNames, check);
    }
    return check(key);
  };

  /** Any JSON (to `depth` levels) whose object keys `keys` allows. */
  const vendorValue = (depth: number, keys?: Schema): fc.Arbitrary<unknown> =>
    depth <= 0
      ? fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.constant(null))
      : fc.oneof(
          { depthSize: 'small' },
          fc.string({ maxLength: 8 }),
          fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (n === 0 ? 0 : n)),
          fc.boolean(),
          fc.constant(null),
          fc.array(vendorValue(depth - 1, keys), { maxLength: 3 }),
          fc
            .dictionary(vendorKey, vendorValue(depth - 1, keys), { maxKeys: 3 })
            .map((fields) => allowedOnly(fields, keys, {})),
        );
  const allowedOnly = (
    fields: Record<string, unknown>,
    keys: Schema | undefined,
    declared: Record<string, unknown>,
  ): Record<string, unknown> =>
    Object.fromEntries(
      Object.entries(fields).filter(([key]) => !(key in declared) && keyAllowed(keys, key)),
    );
  const vendorKey = fc.oneof(
    fc.constantFrom('top_k', 'repetition_penalty', 'chat_template_kwargs', 'x_team', 'reasoning'),
    fc.string({ minLength: 1, maxLength: 10 }),
  );

  const build = (schema: Schema, depth: number): fc.Arbitrary<unknown> => {
    for (const keyword of Object.keys(schema)) {
      if (!KNOWN.has(keyword)) {
        throw new Error(`schema-arbitrary: unsupported keyword "${keyword}"`);
      }
    }
    return typeof schema.$ref === 'string'
      ? buildOwn(schema, depth)
      : constrained(schema, buildOwn(schema, depth));
  };

  const buildOwn = (schema: Schema, depth: number): fc.Arbitrary<unknown> => {
    if (Object.keys(schema).length === 0) {
      return vendorValue(2);
    }
    if (typeof schema.$ref === 'string') {
      const target = published.resolve(schema);
      if (isOpenValue(target)) {
        return vendorValue(2, target);
      }
      let arbitrary = memo.get(target);
      if (!arbitrary) {
        arbitrary = build(target, depth + 1);
        memo.set(target, arbitrary);
      }
      return arbitrary;
    }
    if (schema.const !== undefined) {
      return fc.constant(schema.const);
    }
    if (Array.isArray(schema.enum)) {
      return fc.constantFrom(...(schema.enum as unknown[]));
    }
    if (Array.isArray(schema.oneOf) || (Array.isArray(schema.anyOf) && !isObjectRule(schema))) {
      // A branch that is never valid (a feature the API defines and the gateway refuses) is skipped.
      const branches = ((schema.oneOf ?? schema.anyOf) as Schema[]).filter(
        (branch) => !isForbidden(published.resolve(branch)),
      );
      return fc.oneof(...branches.map((branch) => build(branch, depth)));
    }
    const types = ([] as string[]).concat((schema.type as string | string[] | undefined) ?? []);
    if (types.length > 1) {
      return fc.oneof(...types.map((type) => buildOwn({ ...schema, type }, depth)));
    }
    switch (types[0]) {
      case 'null':
        return fc.constant(null);
      case 'boolean':
        return fc.boolean();
      case 'integer':
      case 'number':
        return numberFor(schema, types[0]);
      case 'string':
        return stringFor(schema);
      case 'array':
        return fc.array(build(schema.items as Schema, depth), {
          minLength: (schema.minItems as number | undefined) ?? 0,
          maxLength: Math.min(
            (schema.maxItems as number | undefined) ?? Infinity,
            ((schema.minItems as number | undefined) ?? 0) + maxExtraItems,
          ),
        });
      case 'object':
        return objectFor(schema, depth);
      default:
        throw new Error(`schema-arbitrary: no type in ${JSON.stringify(schema).slice(0, 200)}`);
    }
  };

  const objectFor = (schema: Schema, depth: number): fc.Arbitrary<unknown> => {
    const merged = mergeAllOf(schema);
    const rules = Array.isArray(merged.anyOf) ? (merged.anyOf as Schema[]) : [{}];
    return fc.oneof(
      ...rules.map((rule) => {
        const properties = {
          ...(merged.properties as Record<string, Schema> | undefined),
          ...(rule.properties as Record<string, Schema> | undefined),
        };
        const required = new Set([
          ...((merged.required as string[] | undefined) ?? []),
          ...((rule.required as string[] | undefined) ?? []),
        ]);
        const shape: Record<string, fc.Arbitrary<unknown>> = {};
        for (const [key, property] of Object.entries(properties)) {
          if (!isForbidden(property)) {
            shape[key] =
              depth === 0 && options.rootOverrides?.[key]
                ? options.rootOverrides[key]
                : build(property, depth + 1);
          }
        }
        const declared = fc.record(shape, {
          requiredKeys: [...required].filter((key) => key in shape),
        });
        const extra = merged.additionalProperties as Schema | false | undefined;
        const room = Math.min(
          maxVendorKeys,
          ((merged.maxProperties as number | undefined) ?? Infinity) - Object.keys(shape).length,
        );
        if (extra === undefined || extra === false || isForbidden(extra) || room <= 0) {
          return declared;
        }
        const vendor = fc
          .dictionary(vendorKey, build(extra, depth + 1), { maxKeys: room })
          .map((fields) => allowedOnly(fields, merged, properties));
        return fc
          .tuple(declared, vendor)
          .map(([own, fields]) => ({ ...fields, ...(own as Record<string, unknown>) }));
      }),
    );
  };

  return build(published.resolve({ $ref: `#/components/schemas/${name}` }), 0);
}

/** `{ propertyNames, additionalProperties, items }` without a type: any JSON, keys restricted. */
function isOpenValue(schema: Schema): boolean {
  return schema.type === undefined && schema.anyOf === undefined && schema.oneOf === undefined;
}

/** An object-level `anyOf` whose branches only add `required` / `properties` (e.g. assistant). */
function isObjectRule(schema: Schema): boolean {
  return (
    schema.type === 'object' &&
    (schema.anyOf as Schema[]).every((branch) => branch.type === undefined)
  );
}

/** `{ not: {} }`: a property or extra key that may never appear. */
function isForbidden(schema: Schema): boolean {
  const not = schema.not as Schema | undefined;
  return not !== undefined && Object.keys(not).length === 0;
}

function mergeAllOf(schema: Schema): Schema {
  if (!Array.isArray(schema.allOf)) {
    return schema;
  }
  let properties = { ...(schema.properties as Record<string, Schema> | undefined) };
  for (const part of schema.allOf as Schema[]) {
    properties = { ...properties, ...(part.properties as Record<string, Schema> | undefined) };
  }
  return { ...schema, properties };
}

function numberFor(schema: Schema, type: 'integer' | 'number'): fc.Arbitrary<number> {
  const min = (schema.minimum as number | undefined) ?? -1e9;
  const max = (schema.maximum as number | undefined) ?? 1e9;
  if (type === 'integer') {
    return fc.oneof(fc.constantFrom(min, max), fc.integer({ min, max }));
  }
  return fc.oneof(
    fc.constantFrom(min, max),
    fc.double({ min, max, noNaN: true, noDefaultInfinity: true }).map((n) => (n === 0 ? 0 : n)),
  );
}

function stringFor(schema: Schema): fc.Arbitrary<string> {
  const parts = [schema, ...((schema.allOf as Schema[] | undefined) ?? [])];
  const format = parts.map((part) => part.format as string | undefined).find(Boolean);
  const patterns = parts
    .map((part) => part.pattern as string | undefined)
    .filter((p): p is string => p !== undefined)
    .map((p) => new RegExp(p, 'u'));
  if (format !== undefined) {
    const arbitrary = FORMAT_ARBITRARIES[format];
    if (!arbitrary) {
      throw new Error(`schema-arbitrary: unknown format "${format}"`);
    }
    return arbitrary.filter((s) => patterns.every((p) => p.test(s)));
  }
  if (patterns.length > 0) {
    throw new Error('schema-arbitrary: a pattern without a format');
  }
  const minLength = (schema.minLength as number | undefined) ?? 0;
  const maxLength = (schema.maxLength as number | undefined) ?? 40;
  return fc.oneof(
    fc.string({ minLength, maxLength: Math.min(maxLength, minLength + 20) }),
    fc.string({ minLength, maxLength, unit: 'binary' }),
    fc.constant('x'.repeat(maxLength)),
  );
}
