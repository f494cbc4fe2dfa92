import { timingSafeEqual } from 'node:crypto';
import { sha256, type ClientKey, type DataPolicy, type KeyLimits } from '@app/config';

/** Who is calling: the key's name (never the key), the aliases it may use, where its prompts may go. */
export interface Principal {
  keyName: string;
  models?: ReadonlySet<string>;
  /** `local_only`: routed only to hops whose data stays on the DGX. */
  dataPolicy?: DataPolicy;
  /** The key's limits (requests, tokens, concurrency, budgets); absent when it has none. */
  limits?: KeyLimits;
}

export type AuthOutcome =
  { ok: true; principal: Principal } | { ok: false; code: 'missing_api_key' | 'invalid_api_key' };

const BEARER = /^bearer ([\x21-\x7e]+)$/i;

/**
 * Checks the `Authorization` header(s) of a request against the configured key digests.
 * Every key is compared, in constant time, whatever matches first: timing tells nothing about keys.
 */
export function authenticate(
  rawHeaders: readonly string[],
  keys: readonly ClientKey[],
): AuthOutcome {
  const values: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i].toLowerCase() === 'authorization') {
      values.push(rawHeaders[i + 1]);
    }
  }
  if (values.length === 0) {
    return { ok: false, code: 'missing_api_key' };
  }
  const token = values.length === 1 ? BEARER.exec(values[0])?.[1] : undefined;
  const digest = sha256(token ?? '');
  let match: ClientKey | undefined;
  for (const key of keys) {
    if (timingSafeEqual(key.sha256, digest) && token !== undefined) {
      match ??= key;
    }
  }
  return match
    ? {
        ok: true,
        principal: {
          keyName: match.name,
          models: match.models,
          dataPolicy: match.dataPolicy,
          limits: match.limits,
        },
      }
    : { ok: false, code: 'invalid_api_key' };
}

/** Whether the principal's allowlist lets it use the alias. */
export function mayUse(principal: Principal, alias: string): boolean {
  return principal.models === undefined || principal.models.has(alias);
}
