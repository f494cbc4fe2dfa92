import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import { InvalidRequestError, RequestTooLargeError } from '@app/contracts';
import { forbiddenKey, PROTOTYPE_KEYS } from './json-walk';

/** A `multipart/form-data` body: its text fields and its files, each in the order sent. */
export interface MultipartForm {
  fields: Array<{ name: string; value: string }>;
  files: FormFile[];
}

export interface FormFile {
  field: string;
  filename: string | undefined;
  /** The part's declared `Content-Type` (`application/octet-stream` when it declares none). */
  mimeType: string;
  data: Buffer;
}

/** Most file parts one form may carry, and the field a refusal past it names. */
export interface FileLimit {
  count: number;
  param: string;
}

/** Text fields per form: far more than any OpenAI form declares. */
const MAX_FIELDS = 64;
/** Bytes per text field: a 32,000-character prompt fits in UTF-8. */
const MAX_FIELD_BYTES = 128 * 1024;

/** `multipart/form-data`, whatever its parameters (busboy reads the boundary). */
export function isMultipartMediaType(header: string | undefined): boolean {
  return header?.split(';', 1)[0].trim().toLowerCase() === 'multipart/form-data';
}

/**
 * Reads a `multipart/form-data` body with busboy under the JSON body's byte limit: every byte is
 * counted as it arrives, and past `limit` the request is refused with {@link RequestTooLargeError}
 * and not read further. Files are held in memory (within that limit); files, fields and field
 * sizes are capped; a prototype key as a part name is refused as in JSON; a malformed form is a
 * 400 `invalid_multipart`. Resolves `null` if the client went away mid-body.
 */
export function readMultipartForm(
  req: IncomingMessage,
  limit: number,
  files: FileLimit,
): Promise<MultipartForm | null> {
  return new Promise<MultipartForm | null>((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        defParamCharset: 'utf8',
        limits: {
          files: files.count,
          fields: MAX_FIELDS,
          parts: files.count + MAX_FIELDS,
          fieldSize: MAX_FIELD_BYTES,
          headerPairs: 16,
        },
      });
    } catch {
      reject(malformed('its Content-Type has no boundary'));
      return;
    }
    const form: MultipartForm = { fields: [], files: [] };
    const pieces: Buffer[][] = [];
    let size = 0;
    let settled = false;
    const settle = (): void => {
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      req.off('error', onClose);
    };
    const fail = (error: Error): void => {
      if (!settled) {
        settle();
        req.pause();
        parser.destroy();
        pieces.length = 0;
        reject(error);
      }
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        fail(new RequestTooLargeError(limit));
      } else {
        parser.write(chunk);
      }
    };
    const onEnd = (): void => {
      parser.end();
    };
    const onClose = (): void => {
      // `close` also follows a complete body: the parser then finishes on its own.
      if (!settled && !req.complete) {
        settle();
        parser.destroy();
        resolve(null);
      }
    };
    const named = (name: string): boolean => {
      if (PROTOTYPE_KEYS.has(name)) {
        fail(forbiddenKey(name, name));
        return false;
      }
      return true;
    };
    parser.on('field', (name, value, info) => {
      if (info.nameTruncated || info.valueTruncated) {
        fail(
          new InvalidRequestError(
            `The form field '${name.slice(0, 64)}' is longer than ${MAX_FIELD_BYTES} bytes.`,
            name.slice(0, 256),
            'invalid_value',
          ),
        );
      } else if (named(name)) {
        form.fields.push({ name, value });
      }
    });
    parser.on('file', (field, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      // A file cut short (or the parser destroyed after a refusal) ends its stream with an error.
      stream.on('error', () => fail(malformed('a file is cut short')));
      if (named(field)) {
        form.files.push({ field, filename: info.filename, mimeType: info.mimeType, data: EMPTY });
        pieces.push(chunks);
      }
    });
    parser.on('filesLimit', () =>
      fail(
        new InvalidRequestError(
          `At most ${files.count} files may be uploaded in one request.`,
          files.param,
          'invalid_value',
        ),
      ),
    );
    const tooManyFields = (): void =>
      fail(new InvalidRequestError(`The form has more than ${MAX_FIELDS} fields.`, null));
    parser.on('fieldsLimit', tooManyFields);
    parser.on('partsLimit', tooManyFields);
    parser.on('error', () => fail(malformed('it is cut short or a part is malformed')));
    parser.on('close', () => {
      if (!settled) {
        settle();
        form.files.forEach((file, index) => (file.data = Buffer.concat(pieces[index])));
        resolve(form);
      }
    });
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
    req.on('error', onClose);
  });
}

const EMPTY = Buffer.alloc(0);

function malformed(why: string): InvalidRequestError {
  return new InvalidRequestError(
    `The request body is not valid multipart/form-data: ${why}.`,
    null,
    'invalid_multipart',
  );
}
