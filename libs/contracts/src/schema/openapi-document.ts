import { GATEWAY_ERROR_CODES } from '../error-codes';
import type { JsonSchema } from './json-schema';
import { nullableTo31 } from './openapi-schemas';

/** The parts of an OpenAPI 3.1 document this module reads and writes. */
export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components?: {
    schemas?: Record<string, unknown>;
    securitySchemes?: Record<string, Record<string, unknown>>;
    headers?: Record<string, unknown>;
    responses?: Record<string, unknown>;
  };
  tags?: Array<{ name: string; description: string }>;
  [key: string]: unknown;
}

interface Operation {
  operationId?: string;
  tags?: string[];
  security?: unknown[];
  responses: Record<string, { description: string; headers?: Record<string, unknown> }>;
  [key: string]: unknown;
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options']);
const HEADER = (name: string): { $ref: string } => ({ $ref: `#/components/headers/${name}` });
const ERROR_RESPONSE = { $ref: '#/components/schemas/ErrorResponse' };

/** Headers declared once in `components.headers` and referenced by every response that carries them. */
export const STANDARD_HEADERS: Record<string, JsonSchema> = {
  RequestId: {
    description:
      "Every response's id: the client's `x-request-id` when well-formed (1–128 of `[A-Za-z0-9._:-]`), else a generated one; also sent upstream.",
    schema: { type: 'string', examples: ['req-3f9c2a'] },
  },
  RetryAfter: {
    description: 'Seconds to wait before retrying (an integer).',
    schema: { type: 'integer', minimum: 0, examples: [1] },
  },
  WwwAuthenticate: {
    description: 'The accepted scheme: `Bearer`.',
    schema: { type: 'string', const: 'Bearer' },
  },
  Allow: {
    description: 'The methods this path takes, comma-separated.',
    schema: { type: 'string', examples: ['POST'] },
  },
};

/**
 * Finishes the document `@nestjs/swagger` builds so generated clients and linters can trust it:
 * OpenAPI 3.1 nullability, schema names without a `Dto` suffix, an opaque bearer scheme (no
 * `bearerFormat`), the standard headers on every response (`x-request-id`; `WWW-Authenticate` on
 * 401; `Retry-After` on 429/502/503), a 405 (with `Allow`) and a 500 on every operation, the
 * error `code` as the {@link GATEWAY_ERROR_CODES} enum, camelCase operation ids, and the tags in
 * use declared with their descriptions.
 */
export function polishOpenApiDocument(
  raw: OpenApiDocument,
  tagDescriptions: Record<string, string>,
): OpenApiDocument {
  const document = withoutDtoSuffix(nullableTo31(raw) as OpenApiDocument);
  const components = (document.components ??= {});
  for (const scheme of Object.values(components.securitySchemes ?? {})) {
    delete scheme.bearerFormat;
  }
  components.headers = { ...components.headers, ...STANDARD_HEADERS };
  components.responses = {
    ...components.responses,
    MethodNotAllowed: {
      description: 'The path does not take this method; `Allow` lists those it does.',
      headers: { Allow: HEADER('Allow'), 'x-request-id': HEADER('RequestId') },
      content: { 'application/json': { schema: ERROR_RESPONSE } },
    },
    InternalError: {
      description:
        'An unexpected gateway failure (`internal_error`); details are logged, never sent.',
      headers: { 'x-request-id': HEADER('RequestId') },
      content: { 'application/json': { schema: ERROR_RESPONSE } },
    },
  };
  publishErrorCodes(components.schemas ?? {});
  const used = new Set<string>();
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!HTTP_METHODS.has(method)) {
        continue;
      }
      finishOperation(path, method, operation);
      operation.tags?.forEach((tag) => used.add(tag));
    }
  }
  document.tags = [...used].sort().map((name) => ({
    name,
    description: tagDescriptions[name] ?? `The ${name} operations.`,
  }));
  return document;
}

function finishOperation(path: string, method: string, operation: Operation): void {
  if (operation.operationId === undefined || operation.operationId.includes('_')) {
    operation.operationId = camelCase(method, path);
  }
  const responses = operation.responses;
  for (const [status, response] of Object.entries(responses)) {
    if ('$ref' in response) {
      continue;
    }
    const headers = (response.headers ??= {});
    headers['x-request-id'] ??= HEADER('RequestId');
    if (status === '401') {
      headers['WWW-Authenticate'] ??= HEADER('WwwAuthenticate');
    }
    if (status === '429' || status === '502' || status === '503') {
      headers['Retry-After'] ??= HEADER('RetryAfter');
    }
  }
  // A public operation (the probes) says so: no security requirement, rather than none stated.
  operation.security ??= [];
  (responses as Record<string, unknown>)['405'] ??= {
    $ref: '#/components/responses/MethodNotAllowed',
  };
  if (operation.security !== undefined && operation.security.length > 0) {
    (responses as Record<string, unknown>)['500'] ??= {
      $ref: '#/components/responses/InternalError',
    };
  }
}

/** `get /v1/models/{model}` → `getV1ModelsModel`; used only where no operation id was chosen. */
function camelCase(method: string, path: string): string {
  const words = path.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return method + words.map((w) => w[0].toUpperCase() + w.slice(1)).join('');
}

/** `Error.code`: one of the gateway's codes, or a code an upstream sent (relayed as is). */
function publishErrorCodes(schemas: Record<string, unknown>): void {
  const codes = Object.keys(GATEWAY_ERROR_CODES);
  schemas.GatewayErrorCode = {
    type: 'string',
    enum: codes,
    description:
      'Codes the gateway sends:\n\n' +
      codes.map((code) => `- \`${code}\`: ${GATEWAY_ERROR_CODES[code]}`).join('\n'),
  };
  const error = schemas.Error as { properties?: Record<string, unknown> } | undefined;
  if (error?.properties) {
    error.properties.code = {
      description:
        "A `GatewayErrorCode`, or an upstream provider's own code relayed with its 4xx (e.g. `content_policy_violation`).",
      anyOf: [
        { $ref: '#/components/schemas/GatewayErrorCode' },
        { type: 'string', description: "An upstream provider's code." },
      ],
      examples: ['image_url_not_supported'],
    };
  }
}

/** Component schemas named `FooDto` become `Foo` (unless `Foo` exists), references included. */
function withoutDtoSuffix(document: OpenApiDocument): OpenApiDocument {
  const schemas = document.components?.schemas ?? {};
  const renames = Object.keys(schemas).filter(
    (name) => name.endsWith('Dto') && !(name.slice(0, -3) in schemas),
  );
  if (renames.length === 0) {
    return document;
  }
  let text = JSON.stringify(document);
  for (const name of renames) {
    text = text
      .split(`"#/components/schemas/${name}"`)
      .join(`"#/components/schemas/${name.slice(0, -3)}"`);
  }
  const renamed = JSON.parse(text) as OpenApiDocument;
  const out: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(renamed.components?.schemas ?? {})) {
    out[renames.includes(name) ? name.slice(0, -3) : name] = schema;
  }
  renamed.components = { ...renamed.components, schemas: out };
  return renamed;
}
