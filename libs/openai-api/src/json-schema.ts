import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { InvalidRequestError } from '@app/contracts';

/**
 * A request contract: one JSON Schema (OpenAPI 3.0 dialect: `nullable`, `enum`, no `const`) that
 * both validates bodies here and is published as is in the OpenAPI document.
 */
export type JsonSchema = Record<string, unknown>;

const ajv = new Ajv({ allErrors: false, strict: true, strictRequired: false, discriminator: true });
ajv.addVocabulary(['example']);

/**
 * Compiles `schema` once and returns a check that throws the first violation as a 400 in the
 * OpenAI envelope, `param` the exact path (`input[0].content[1].type`).
 */
export function compileContract<T>(schema: JsonSchema): (body: unknown) => asserts body is T {
  const validate: ValidateFunction = ajv.compile(schema);
  return (body: unknown): asserts body is T => {
    if (!validate(body)) {
      throw toInvalidRequest(deepest(validate.errors ?? []));
    }
  };
}

/** `/input/0/content/1` → `input[0].content[1]`. */
export function pointerToPath(pointer: string, extra?: string): string | null {
  const keys = pointer === '' ? [] : pointer.slice(1).split('/');
  if (extra !== undefined) {
    keys.push(extra);
  }
  let path = '';
  for (const raw of keys) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    path += /^\d+$/.test(key) ? `[${key}]` : path === '' ? key : `.${key}`;
  }
  return path === '' ? null : path;
}

/**
 * Among the errors of a failed `oneOf` (one per branch, then the `oneOf` itself), the one deepest
 * in the body names the field the client got wrong: `input[1].content[0].type`, not `input`.
 */
function deepest(errors: readonly ErrorObject[]): ErrorObject | undefined {
  let best: ErrorObject | undefined;
  let depth = -1;
  for (const error of errors) {
    const own = error.instancePath.split('/').length;
    if (own > depth && error.keyword !== 'oneOf') {
      best = error;
      depth = own;
    }
  }
  return best ?? errors[0];
}

function toInvalidRequest(error: ErrorObject | undefined): InvalidRequestError {
  if (!error) {
    return new InvalidRequestError('The request body is invalid.');
  }
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required': {
      const path = pointerToPath(error.instancePath, String(params.missingProperty));
      return new InvalidRequestError(
        `Missing required parameter: '${path}'.`,
        path,
        'missing_required_parameter',
      );
    }
    case 'additionalProperties': {
      const path = pointerToPath(error.instancePath, String(params.additionalProperty));
      return new InvalidRequestError(
        `Unsupported parameter: '${path}' is not accepted here.`,
        path,
        'unsupported_parameter',
      );
    }
    case 'discriminator': {
      const path = pointerToPath(error.instancePath, String(params.tag));
      const missing = params.error === 'tag' && params.tagValue === undefined;
      return new InvalidRequestError(
        missing
          ? `Missing required parameter: '${path}'.`
          : `Invalid value for '${path}': ${JSON.stringify(params.tagValue)} is not a supported type here.`,
        path,
        missing ? 'missing_required_parameter' : 'invalid_value',
      );
    }
    default: {
      const path = pointerToPath(error.instancePath);
      const where = path === null ? 'the request body' : `'${path}'`;
      const allowed = Array.isArray(params.allowedValues)
        ? `: expected one of ${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`
        : `: ${error.message ?? 'is invalid'}`;
      return new InvalidRequestError(
        `Invalid value for ${where}${allowed}.`,
        path,
        'invalid_value',
      );
    }
  }
}
