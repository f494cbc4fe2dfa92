import { hash } from 'node:crypto';
import { type ClientKey, type DataPolicy, type KeyLimits } from '@app/config';

/** Who is calling: the key's name (never the key), the aliases it may use, where its prompts may go. */
export interface Principal {
  readonly keyName: string;
  readonly models?: ReadonlySet<string>;
  /** `local_only`: routed only to hops whose data stays on the DGX. */
  readonly dataPolicy?: DataPolicy;
  /** The key's limits (requests, tokens, concurrency, budgets); absent when it has none. */
  readonly limits?: KeyLimits;
}

export type AuthOutcome =
  { ok: true; principal: Principal } | { ok: false; code: 'missing_api_key' | 'invalid_api_key' };

const BEARER = /^bearer ([\x21-\x7e]+)$/i;

/**
 * The configured keys, found by the SHA-256 digest of the presented token: one hash and one lookup
 * per request, however many keys there are. The lookup's timing can depend only on the digest,
 * which tells nothing about any key (finding a token for a given digest is what SHA-256 rules out).
 * Each key's principal is built once and shared, read-only, by its requests.
 */
export class KeyRing {
  private readonly byDigest = new Map<string, Principal>();

  constructor(keys: readonly ClientKey[]) {
    for (const key of keys) {
      const digest = key.sha256.toString('hex');
      if (!this.byDigest.has(digest)) {
        this.byDigest.set(
          digest,
          Object.freeze({
            keyName: key.name,
            models: key.models,
            dataPolicy: key.dataPolicy,
            limits: key.limits,
          }),
        );
      }
    }
  }

  find(token: string): Principal | undefined {
    return this.byDigest.get(hash('sha256', token, 'hex'));
  }
}

/** Checks the `Authorization` header(s) of a request against the configured keys. */
export function authenticate(rawHeaders: readonly string[], keys: KeyRing): AuthOutcome {
  let value: string | undefined;
  let values = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i].length === 13 && rawHeaders[i].toLowerCase() === 'authorization') {
      value = rawHeaders[i + 1];
      values++;
    }
  }
  if (values === 0) {
    return { ok: false, code: 'missing_api_key' };
  }
  const token = values === 1 ? BEARER.exec(value ?? '')?.[1] : undefined;
  const principal = token === undefined ? undefined : keys.find(token);
  return principal ? { ok: true, principal } : { ok: false, code: 'invalid_api_key' };
}

/** Whether the principal's allowlist lets it use the alias. */
export function mayUse(principal: Principal, alias: string): boolean {
  return principal.models === undefined || principal.models.has(alias);
}
