import Ajv2020, { type ErrorObject } from 'ajv/dist/2020.js';
import { InvalidRequestError } from '../gateway.error';
import { DATA_URI_FORMATS, isBase64, isBase64DataUri } from './data-uri';
import { PROTOTYPE_KEYS, type JsonSchema } from './json-schema';

/**
 * One Ajv for every request schema. `allErrors: false` stops at the first failure (the client gets
 * one error, like OpenAI's); `verbose` keeps the failing subschema on the error, so its
 * `x-error-code` and wording reach the envelope; `strictNumbers` refuses NaN and Infinity.
 */
const ajv = new Ajv2020({
  allErrors: false,
  verbose: true,
  discriminator: true,
  strict: true,
  strictTypes: false,
  strictNumbers: true,
  allowUnionTypes: true,
});
ajv.addKeyword({ keyword: 'x-error-code', schemaType: 'string' });
ajv.addFormat(DATA_URI_FORMATS.image, {
  type: 'string',
  validate: (s) => isBase64DataUri(s, 'image'),
});
ajv.addFormat(DATA_URI_FORMATS.video, {
  type: 'string',
  validate: (s) => isBase64DataUri(s, 'video'),
});
ajv.addFormat(DATA_URI_FORMATS.any, { type: 'string', validate: (s) => isBase64DataUri(s, null) });
ajv.addFormat(DATA_URI_FORMATS.base64, { type: 'string', validate: (s) => isBase64(s) });

/** Keywords whose own error only says "none of my branches matched": the branch errors say why. */
const COMBINATORS: ReadonlySet<string> = new Set(['anyOf', 'oneOf', 'if', 'propertyNames']);

/**
 * Compiles a request schema once and returns its validator: it returns the body unchanged (the same
 * object: nothing stripped or coerced) or throws the {@link InvalidRequestError} that names the
 * first bad field by its exact path (`messages[1].content[0].image_url.url`), with
 * `missing_required_parameter`, `invalid_value` or the failing subschema's `x-error-code`.
 */
export function compileRequestValidator<T>(schema: JsonSchema): (body: unknown) => T {
  const validate = ajv.compile(schema);
  return (body: unknown): T => {
    if (validate(body)) {
      return body as T;
    }
    throw explain(validate.errors ?? [], body, schema);
  };
}

function explain(errors: ErrorObject[], body: unknown, root: JsonSchema): InvalidRequestError {
  if (errors.length === 0) {
    return new InvalidRequestError('The request body is invalid.');
  }
  const last = errors[errors.length - 1];
  const error = errors[mostSpecific(errors, errors.length - 1)];
  if (error.instancePath === '' && error.keyword === 'type') {
    return new InvalidRequestError('The request body must be a JSON object.');
  }
  // A key refused by `propertyNames`: the name is on the propertyNames error, the code on its branch.
  const key =
    error.propertyName ??
    (last.keyword === 'propertyNames' ? String(last.params.propertyName) : undefined);
  return describe(error, body, root, key);
}

/**
 * The error that says most: starting from the one that failed the validation, descend from a
 * combinator to the deepest error among its branches' (the first such), as long as it is deeper
 * than the combinator's own. `content: 5` stays "not a string or an array"; `content: [{"type":
 * "text"}]` becomes `content[0].text` is missing.
 */
function mostSpecific(errors: ErrorObject[], last: number): number {
  const error = errors[last];
  if (!COMBINATORS.has(error.keyword)) {
    return last;
  }
  const prefix = error.instancePath;
  let best = -1;
  let bestDepth = error.keyword === 'propertyNames' ? -1 : depthOf(error);
  for (let i = 0; i < last; i++) {
    const candidate = errors[i];
    const path = candidate.instancePath;
    if (path !== prefix && !path.startsWith(`${prefix}/`)) {
      continue;
    }
    const depth = depthOf(candidate);
    if (depth > bestDepth) {
      best = i;
      bestDepth = depth;
    }
  }
  return best < 0 ? last : mostSpecific(errors, best);
}

function depthOf(error: ErrorObject): number {
  let depth = error.instancePath === '' ? 0 : error.instancePath.split('/').length - 1;
  if (
    error.keyword === 'required' ||
    error.keyword === 'discriminator' ||
    error.propertyName !== undefined
  ) {
    depth++;
  }
  return depth;
}

function describe(
  error: ErrorObject,
  body: unknown,
  root: JsonSchema,
  key: string | undefined,
): InvalidRequestError {
  const params = error.params as Record<string, unknown>;
  const parent = (error.parentSchema ?? {}) as JsonSchema;
  const code = typeof parent['x-error-code'] === 'string' ? parent['x-error-code'] : undefined;
  if (key !== undefined) {
    const param = pathOf(error.instancePath, body, key);
    if (PROTOTYPE_KEYS.includes(key)) {
      return new InvalidRequestError(
        `The key "${key}" is not allowed anywhere in the body.`,
        param,
        'forbidden_key',
      );
    }
    return new InvalidRequestError(
      `"${param}" is not accepted: routing, credentials and fallbacks are chosen by the gateway.`,
      param,
      code ?? 'unsupported_parameter',
    );
  }
  if (error.keyword === 'required') {
    const param = pathOf(error.instancePath, body, String(params.missingProperty));
    return missing(param);
  }
  if (error.keyword === 'discriminator') {
    const tagName = String(params.tag);
    const param = pathOf(error.instancePath, body, tagName);
    if (params.tagValue === undefined) {
      return missing(param);
    }
    const values = tagValues(parent, tagName, root);
    return invalid(param, `expected one of ${values.map((v) => JSON.stringify(v)).join(', ')}`);
  }
  const param = pathOf(error.instancePath, body);
  if (code !== undefined) {
    const reason = typeof parent.description === 'string' ? parent.description : 'is invalid';
    return new InvalidRequestError(`Invalid value for '${param}': ${reason}.`, param, code);
  }
  return invalid(param, reasonOf(error, params, root));
}

function missing(param: string | null): InvalidRequestError {
  return new InvalidRequestError(
    `Missing required parameter: '${param}'.`,
    param,
    'missing_required_parameter',
  );
}

function invalid(param: string | null, reason: string): InvalidRequestError {
  return new InvalidRequestError(
    `Invalid value for '${param}': ${reason}.`,
    param,
    'invalid_value',
  );
}

function reasonOf(error: ErrorObject, params: Record<string, unknown>, root: JsonSchema): string {
  switch (error.keyword) {
    case 'type':
      return `expected ${typeWords(String(params.type).split(','))}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `must be ${String(params.comparison)} ${String(params.limit)}`;
    case 'minLength':
      return `must be at least ${String(params.limit)} characters long`;
    case 'maxLength':
      return `must be at most ${String(params.limit)} characters long`;
    case 'minItems':
      return `must hold at least ${String(params.limit)} items`;
    case 'maxItems':
      return `may hold at most ${String(params.limit)} items; got ${Array.isArray(error.data) ? error.data.length : '?'}`;
    case 'enum':
      return `expected one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `expected ${JSON.stringify(params.allowedValue)}`;
    case 'anyOf':
    case 'oneOf':
      return `expected ${formsOf(error.schema, root)}`;
    default:
      return error.message ?? 'is invalid';
  }
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean',
  object: 'an object',
  array: 'an array',
  null: 'null',
};

function typeWords(types: string[]): string {
  const words = types.map((type) => TYPE_WORDS[type] ?? type);
  return words.length === 1
    ? words[0]
    : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

/** "a string or an array", read from the branches of an `anyOf` / `oneOf`. */
function formsOf(branches: unknown, root: JsonSchema): string {
  if (!Array.isArray(branches)) {
    return 'a different value';
  }
  const forms = branches.map((branch) => {
    const schema = resolve(branch as JsonSchema, root);
    if (Array.isArray(schema.enum)) {
      return schema.enum.map((v) => JSON.stringify(v)).join(', ');
    }
    if (schema.const !== undefined) {
      return JSON.stringify(schema.const);
    }
    return typeWords(([] as string[]).concat((schema.type as string | string[]) ?? 'any value'));
  });
  return `${forms.slice(0, -1).join(', ')} or ${forms[forms.length - 1]}`;
}

/** The tag values an OpenAPI `discriminator` accepts, read from its `oneOf` branches. */
function tagValues(parent: JsonSchema, tagName: string, root: JsonSchema): unknown[] {
  const branches = Array.isArray(parent.oneOf) ? (parent.oneOf as JsonSchema[]) : [];
  return branches.flatMap((branch) => {
    const properties = resolve(branch, root).properties as Record<string, JsonSchema> | undefined;
    const tag = properties?.[tagName] ?? {};
    return tag.const !== undefined
      ? [tag.const]
      : Array.isArray(tag.enum)
        ? (tag.enum as unknown[])
        : [];
  });
}

/** Follows a local `#/$defs/<name>` reference. */
function resolve(schema: JsonSchema, root: JsonSchema): JsonSchema {
  const target = schema.$ref;
  if (typeof target === 'string' && target.startsWith('#/$defs/')) {
    const defs = (root.$defs ?? {}) as Record<string, JsonSchema>;
    return defs[target.slice('#/$defs/'.length)] ?? schema;
  }
  return schema;
}

/**
 * A JSON pointer into the body as the OpenAI-style path (`messages[1].content[0].type`): indexes
 * where the body holds an array, names where it holds an object (a key `"0"` stays `.0`).
 */
function pathOf(pointer: string, body: unknown, last?: string): string | null {
  let path = '';
  let node = body;
  const segments = pointer === '' ? [] : pointer.slice(1).split('/');
  for (const segment of segments) {
    const key = segment.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      path += `[${key}]`;
      node = node[Number(key)];
    } else {
      path += path === '' ? key : `.${key}`;
      node =
        typeof node === 'object' && node !== null
          ? (node as Record<string, unknown>)[key]
          : undefined;
    }
  }
  if (last !== undefined) {
    path += path === '' ? last : `.${last}`;
  }
  return path === '' ? null : path;
}
