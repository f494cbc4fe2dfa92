/** The OpenAI error envelope every `/v1` failure uses. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string };
}

export interface GatewayErrorOptions {
  type?: string;
  param?: string | null;
  headers?: Record<string, string>;
}

/** A failure with a client-facing meaning; the exception filter turns it into the OpenAI envelope. */
export class GatewayError extends Error {
  readonly type: string;
  readonly param: string | null;
  readonly headers: Record<string, string>;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    options: GatewayErrorOptions = {},
  ) {
    super(message);
    this.name = new.target.name;
    this.type = options.type ?? defaultType(status);
    this.param = options.param ?? null;
    this.headers = options.headers ?? {};
  }

  toBody(): OpenAIErrorBody {
    return {
      error: { message: this.message, type: this.type, param: this.param, code: this.code },
    };
  }
}

function defaultType(status: number): string {
  if (status === 401) {
    return 'authentication_error';
  }
  if (status === 403) {
    return 'permission_error';
  }
  if (status === 404) {
    return 'not_found_error';
  }
  if (status === 429) {
    return 'rate_limit_error';
  }
  return status >= 500 ? 'server_error' : 'invalid_request_error';
}

export class InvalidRequestError extends GatewayError {
  constructor(message: string, param: string | null = null, code = 'invalid_request_error') {
    super(400, code, message, { param });
  }
}

/** A catalog constraint refused the request before anything was forwarded. */
export class ConstraintViolationError extends GatewayError {
  constructor(code: string, message: string, param: string | null) {
    super(400, code, message, { param });
  }
}

export class AuthenticationError extends GatewayError {
  constructor(code: 'missing_api_key' | 'invalid_api_key') {
    const message =
      code === 'missing_api_key'
        ? 'Missing API key: send it as "Authorization: Bearer <key>".'
        : 'Invalid API key.';
    super(401, code, message, { headers: { 'WWW-Authenticate': 'Bearer' } });
  }
}

/** Unknown alias, or one the caller's key may not use: the same answer, so aliases cannot be enumerated. */
export class ModelNotFoundError extends GatewayError {
  constructor(model: string) {
    super(
      404,
      'model_not_found',
      `The model '${model.slice(0, 256)}' does not exist or you do not have access to it.`,
      { param: 'model', type: 'invalid_request_error' },
    );
  }
}

export class UnsupportedMediaTypeError extends GatewayError {
  constructor(message: string) {
    super(415, 'unsupported_media_type', message);
  }
}

export class RequestTooLargeError extends GatewayError {
  constructor(limit: number) {
    super(413, 'request_too_large', `Request body exceeds the limit of ${limit} bytes.`);
  }
}

export class MethodNotAllowedError extends GatewayError {
  constructor(method: string, allowed: string[]) {
    super(
      405,
      'method_not_allowed',
      `Method ${method} is not allowed here; use ${allowed.join(', ')}.`,
      {
        headers: { Allow: allowed.join(', ') },
      },
    );
  }
}

/** The gateway cannot take the request now (draining, overloaded). */
export class ServiceUnavailableError extends GatewayError {
  constructor(code: 'shutting_down' | 'overloaded', message: string, retryAfterSeconds: number) {
    super(503, code, message, { headers: { 'Retry-After': String(retryAfterSeconds) } });
  }
}

/** An upstream refused the request for a reason the client caused; relayed in the envelope, not retried. */
export class UpstreamRequestError extends GatewayError {
  constructor(
    status: number,
    code: string,
    message: string,
    param: string | null = null,
    type?: string,
  ) {
    super(status, code, message, { param, type });
  }
}

/** Every hop of the chain failed (or was benched). Names the hops tried, never their URLs or keys. */
export class UpstreamUnavailableError extends GatewayError {
  constructor(
    readonly hops: string[],
    retryAfterSeconds: number,
    status: 502 | 503 = 502,
  ) {
    super(
      status,
      'upstream_unavailable',
      hops.length > 0
        ? `No backend could serve the request; tried: ${hops.join(', ')}.`
        : 'No backend is available for this model right now.',
      { headers: { 'Retry-After': String(retryAfterSeconds) } },
    );
  }
}

/** Every hop of the chain is rate-limited by its provider: a 429, so clients back off for `Retry-After`. */
export class UpstreamRateLimitedError extends GatewayError {
  constructor(
    readonly hops: string[],
    retryAfterSeconds: number,
  ) {
    super(
      429,
      'rate_limit_exceeded',
      `Every backend for this model is rate-limited by its provider (${hops.join(', ')}); retry after ${retryAfterSeconds}s.`,
      { headers: { 'Retry-After': String(retryAfterSeconds) } },
    );
  }
}

/** A `local_only` request for an alias none of whose hops keeps the data on the DGX. */
export class ModelNotLocalError extends GatewayError {
  constructor(alias: string) {
    super(
      400,
      'model_not_local',
      `The model '${alias}' has no backend on the DGX; under the local_only data policy it cannot be used.`,
      { param: 'model' },
    );
  }
}

/** A `local_only` request whose local hops are all down or benched: no cloud hop is tried, ever. */
export class LocalBackendUnavailableError extends GatewayError {
  constructor(retryAfterSeconds: number) {
    super(
      503,
      'local_backend_unavailable',
      'No backend on the DGX can serve this model right now, and the local_only data policy forbids the cloud.',
      { headers: { 'Retry-After': String(retryAfterSeconds) } },
    );
  }
}

/** The client went away before an answer: nobody to answer, nobody to blame (logged as 499). */
export class ClientClosedError extends GatewayError {
  constructor() {
    super(499, 'client_closed_request', 'The client closed the request.');
  }
}

/** Anything that is not a {@link GatewayError}: the details go to the log, never to the client. */
export class InternalError extends GatewayError {
  constructor() {
    super(500, 'internal_error', 'The gateway hit an internal error.');
  }
}
