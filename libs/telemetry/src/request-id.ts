import { randomUUID } from 'node:crypto';

const CLIENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The client's `x-request-id` when it is 1–128 of `[A-Za-z0-9._:-]`, otherwise a fresh UUID; never reflected verbatim when odd. */
export function requestIdFor(given: string | string[] | undefined): string {
  return typeof given === 'string' && CLIENT_ID.test(given) ? given : randomUUID();
}
