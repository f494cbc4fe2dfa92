import { isUtf8 } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '@app/config';
import {
  InvalidRequestError,
  RequestTooLargeError,
  UnsupportedMediaTypeError,
} from '@app/contracts';
import { checkRawShape, PROTOTYPE_KEYS, walkJson } from './json-walk';

const EXPECTS_CONTINUE = /^\s*100-continue\s*$/i;

/**
 * Reads and parses a chat body under the gateway's own limits (Nest's body parser is off):
 * `application/json` only, no compressed bodies (no inflation, so no zip bombs), at most
 * `server.body_limit_bytes`, valid UTF-8, a JSON object, no prototype keys, bounded nesting, no
 * number beyond the double range.
 * Then `req.body` is the parsed object.
 */
@Injectable()
export class JsonBodyMiddleware implements NestMiddleware {
  private readonly limit: number;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    this.limit = config.server.body_limit_bytes;
  }

  async use(
    req: IncomingMessage & { body?: unknown },
    res: ServerResponse,
    next: () => void,
  ): Promise<void> {
    if (!isJsonMediaType(req.headers['content-type'])) {
      throw new UnsupportedMediaTypeError('Content-Type must be application/json (UTF-8).');
    }
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
      throw new UnsupportedMediaTypeError(
        'Compressed request bodies (Content-Encoding) are not accepted; send plain JSON.',
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
    const raw = await readBody(req, this.limit);
    if (raw === null) {
      return; // The client went away mid-body: there is no one to answer.
    }
    req.body = parseJsonObject(raw);
    next();
  }
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
      throw new InvalidRequestError(
        `The key "${key}" is not allowed anywhere in the body.`,
        cursor.path(),
        'forbidden_key',
      );
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
