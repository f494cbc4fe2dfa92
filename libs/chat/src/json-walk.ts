import { InvalidRequestError, PROTOTYPE_KEYS as PROTOTYPE_KEY_LIST } from '@app/contracts';

/** Deepest object/array nesting a chat body may have; real requests stay under ten. */
export const MAX_JSON_DEPTH = 32;

/** Keys that could reach an object's prototype if a consumer merged the body naively. */
export const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(PROTOTYPE_KEY_LIST);

/**
 * Most JSON values (counted as containers plus separators) a body may hold. A legitimate request
 * at the message and part caps stays far below; without a cap, 20 MiB of `{},` costs `JSON.parse`
 * over a second.
 */
export const MAX_JSON_VALUES = 200_000;

/** The refusal of a prototype key at `path`, wherever the body carries it. */
export function forbiddenKey(key: string, path: string | null): InvalidRequestError {
  return new InvalidRequestError(
    `The key "${key}" is not allowed anywhere in the body.`,
    path,
    'forbidden_key',
  );
}

export function nestingTooDeep(): InvalidRequestError {
  return new InvalidRequestError(
    `The request body is nested deeper than ${MAX_JSON_DEPTH} levels.`,
    null,
    'nesting_too_deep',
  );
}

/** Where the walk stands: the keys from the root down to the current value. */
export interface JsonCursor {
  /** Property names and array indexes from the root to the current value (shared; do not keep). */
  readonly keys: ReadonlyArray<string | number>;
  /** The OpenAI-style path of the current value: `messages[1].content[0].image_url.url`. */
  path(): string | null;
}

/**
 * Visits every value of a parsed JSON document in document order. Recursion is safe because
 * containers deeper than {@link MAX_JSON_DEPTH} are refused before being entered; one key stack is
 * shared, so the walk allocates nothing per value. `visit` may throw to stop, or return `false` to
 * skip the value's children.
 */
export function walkJson(
  root: unknown,
  visit: (value: unknown, key: string | number | null, cursor: JsonCursor) => boolean | void,
): void {
  const keys: Array<string | number> = [];
  const cursor: JsonCursor = { keys, path: () => formatPath(keys) };
  const step = (value: unknown, key: string | number | null): void => {
    if (visit(value, key, cursor) === false || typeof value !== 'object' || value === null) {
      return;
    }
    if (keys.length >= MAX_JSON_DEPTH) {
      throw nestingTooDeep();
    }
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        keys.push(i);
        step(value[i], i);
        keys.pop();
      }
      return;
    }
    for (const name of Object.keys(value)) {
      keys.push(name);
      step((value as Record<string, unknown>)[name], name);
      keys.pop();
    }
  };
  step(root, null);
}

/** `['messages', 1, 'content']` → `messages[1].content`; `null` for the root. */
export function formatPath(keys: ReadonlyArray<string | number>): string | null {
  if (keys.length === 0) {
    return null;
  }
  let path = '';
  for (const key of keys) {
    path += typeof key === 'number' ? `[${key}]` : path === '' ? key : `.${key}`;
  }
  return path;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Checks the shape of raw JSON bytes before `JSON.parse` builds anything: nesting (a 20 MiB run of
 * `[` would cost seconds of allocation) and the number of values. Strings are skipped with
 * `Buffer.indexOf` (native), so a large base64 image costs one memchr. Malformed JSON is left for
 * the parser to report.
 */
export function checkRawShape(raw: Buffer): void {
  let depth = 0;
  let values = 0;
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i];
    if (byte === QUOTE) {
      i = closingQuote(raw, i);
      if (i < 0) {
        return;
      }
    } else if (byte === 0x7b || byte === 0x5b) {
      if (++depth > MAX_JSON_DEPTH) {
        throw nestingTooDeep();
      }
      values++;
    } else if (byte === 0x7d || byte === 0x5d) {
      depth--;
    } else if (byte === 0x2c) {
      values++;
    } else {
      continue;
    }
    if (values > MAX_JSON_VALUES) {
      throw new InvalidRequestError(
        `The request body holds more than ${MAX_JSON_VALUES} JSON values.`,
        null,
        'too_many_values',
      );
    }
  }
}

/** Index of the quote closing the string opened at `open`, or -1 when it never closes. */
function closingQuote(raw: Buffer, open: number): number {
  let at = raw.indexOf(QUOTE, open + 1);
  while (at >= 0) {
    let backslashes = 0;
    while (raw[at - 1 - backslashes] === BACKSLASH) {
      backslashes++;
    }
    if (backslashes % 2 === 0) {
      return at;
    }
    at = raw.indexOf(QUOTE, at + 1);
  }
  return -1;
}

/** Where the JSON string at `start` (its opening quote) ends, past its closing quote; -1 if none. */
export function jsonStringEnd(data: string, start: number): number {
  if (data.charCodeAt(start) !== 0x22 /* " */) {
    return -1;
  }
  for (let i = data.indexOf('"', start + 1); i > 0; i = data.indexOf('"', i + 1)) {
    let escapes = 0;
    while (data.charCodeAt(i - 1 - escapes) === 0x5c /* \ */) {
      escapes++;
    }
    if (escapes % 2 === 0) {
      return i + 1;
    }
  }
  return -1;
}
