import { isUtf8 } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '@app/config';
import {
  InvalidRequestError,
  RequestTooLargeError,
  UnsupportedMediaTypeError,
  type JsonSchema,
} from '@app/contracts';
import { checkRawShape, forbiddenKey, PROTOTYPE_KEYS, walkJson } from './json-walk';
import {
  isMultipartMediaType,
  readMultipartForm,
  type FileLimit,
  type MultipartForm,
} from './multipart-form';

const EXPECTS_CONTINUE = /^\s*100-continue\s*$/i;

/**
 * A route that also takes `multipart/form-data` (OpenAI's upload form for files): how many files
 * it may carry, and the form as the JSON body the route reads, so that everything after the body
 * stage sees one representation. `toBody` throws the client's 400.
 */
export interface FormRoute {
  files: FileLimit;
  toBody(form: MultipartForm): Record<string, unknown>;
  /** The form as the OpenAPI document publishes it: a component schema and its name. */
  schema: { name: string; schema: JsonSchema };
}

/** Injection token of the form routes, by request path (`/v1/images/edits`). */
export const BODY_FORMS = Symbol('BODY_FORMS');

/**
 * Reads and parses a request body under the gateway's own limits (Nest's body parser is off),
 * deciding by its media type: `application/json` on every route, `multipart/form-data` on the
 * routes that declare a {@link FormRoute}. Either way: no compressed bodies (no inflation, so no
 * zip bombs), at most `server.body_limit_bytes`. JSON must be valid UTF-8, an object, no
 * prototype keys, bounded nesting, no number beyond the double range; a form is read by
 * {@link readMultipartForm} and turned into the route's JSON body. Then `req.body` is that object.
 */
@Injectable()
export class BodyMiddleware implements NestMiddleware {
  private readonly limit: number;

  constructor(
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    @Inject(BODY_FORMS) private readonly forms: ReadonlyMap<string, FormRoute>,
  ) {
    this.limit = config.server.body_limit_bytes;
  }

  async use(
    req: IncomingMessage & { body?: unknown; originalUrl?: string },
    res: ServerResponse,
    next: () => void,
  ): Promise<void> {
    const type = req.headers['content-type'];
    // JSON is the common case and needs no route lookup.
    const form = isJsonMediaType(type) ? undefined : this.formRoute(req, type);
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
      throw new UnsupportedMediaTypeError(
        'Compressed request bodies (Content-Encoding) are not accepted; send them uncompressed.',
      );
    }
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > this.limit) {
      throw new RequestTooLargeError(this.limit);
    }
    if (EXPECTS_CONTINUE.test(req.headers.expect ?? '')) {
      // Every check that can refuse without the body has passed: now the client may send it.
      res.writeContinue();
    }
    if (form) {
      const parsed = await readMultipartForm(req, this.limit, form.files);
      if (parsed === null) {
        return; // The client went away mid-body: there is no one to answer.
      }
      req.body = form.toBody(parsed);
    } else {
      const raw = await readBody(req, this.limit);
      if (raw === null) {
        return;
      }
      req.body = parseJsonObject(raw);
    }
    next();
  }

  /** The request's form route if it takes forms and this is one; otherwise 415. */
  private formRoute(
    req: IncomingMessage & { originalUrl?: string },
    type: string | undefined,
  ): FormRoute {
    const form = this.forms.get(routePath(req.originalUrl ?? req.url));
    if (form && isMultipartMediaType(type)) {
      return form;
    }
    throw new UnsupportedMediaTypeError(
      form
        ? 'Content-Type must be application/json (UTF-8) or multipart/form-data.'
        : 'Content-Type must be application/json (UTF-8).',
    );
  }
}

/** A request path as routes match it: no query, no trailing slash, case-insensitive (as Express). */
function routePath(url = ''): string {
  const query = url.indexOf('?');
  const path = (query < 0 ? url : url.slice(0, query)).toLowerCase();
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

/**
 * Parses a body into a JSON object, or throws the client-facing 400. One UTF-8 check, one shape
 * pre-scan, one decode, one `JSON.parse`, one walk: linear in the body size, no regular expressions.
 */
export function parseJsonObject(raw: Buffer): Record<string, unknown> {
  if (!isUtf8(raw)) {
    throw new InvalidRequestError('The request body is not valid UTF-8.', null, 'invalid_json');
  }
  checkRawShape(raw);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    // The parser's own message names positions and internals; the client gets a plain sentence.
    throw new InvalidRequestError('The request body is not valid JSON.', null, 'invalid_json');
  }
  walkJson(parsed, (value, key, cursor) => {
    if (typeof key === 'string' && PROTOTYPE_KEYS.has(key)) {
      throw forbiddenKey(key, cursor.path());
    }
    // A JSON number beyond the double range (`1e309`) parses to Infinity: refused wherever it is.
    if (typeof value === 'number' && !Number.isFinite(value)) {
      const path = cursor.path();
      throw new InvalidRequestError(
        `Invalid value for '${path}': numbers must be finite.`,
        path,
        'invalid_value',
      );
    }
  });
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidRequestError('The request body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}

/** `application/json`, optionally with `charset=utf-8`; anything else is refused. */
export function isJsonMediaType(header: string | undefined): boolean {
  if (header === undefined) {
    return false;
  }
  const [type, ...params] = header.split(';');
  if (type.trim().toLowerCase() !== 'application/json') {
    return false;
  }
  return params.every((param) => {
    const eq = param.indexOf('=');
    const name = param.slice(0, eq).trim().toLowerCase();
    const value = param
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase();
    return name !== 'charset' || value === 'utf-8' || value === 'utf8';
  });
}

/**
 * Collects the body as Buffers up to `limit` bytes. Rejects with {@link RequestTooLargeError} as
 * soon as the limit is passed, and stops reading there; resolves `null` if the client aborted.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise<Buffer | null>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      req.off('error', onClose);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.pause();
        chunks.length = 0;
        reject(new RequestTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onClose = (): void => {
      cleanup();
      resolve(null);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
    req.on('error', onClose);
  });
}
