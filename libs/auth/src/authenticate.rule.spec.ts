import { sha256, type ClientKey } from '@app/config';
import { authenticate, KeyRing, mayUse } from './authenticate.rule';

const keys = new KeyRing([
  { name: 'team-a', sha256: sha256('sk-team-a-0123456789'), models: new Set(['llama-4-scout']) },
  { name: 'admin', sha256: sha256('sk-admin-0123456789') },
] satisfies ClientKey[]);
const auth = (...values: string[]) =>
  authenticate(
    values.flatMap((v) => ['Authorization', v]),
    keys,
  );

describe('authenticate', () => {
  it('accepts a configured key, with the scheme in any case, and names the key', () => {
    expect(auth('Bearer sk-admin-0123456789')).toEqual({
      ok: true,
      principal: { keyName: 'admin', models: undefined },
    });
    expect(auth('bearer sk-team-a-0123456789')).toMatchObject({
      ok: true,
      principal: { keyName: 'team-a' },
    });
  });

  it('says missing_api_key when there is no Authorization header', () => {
    expect(authenticate(['Content-Type', 'application/json'], keys)).toEqual({
      ok: false,
      code: 'missing_api_key',
    });
  });

  it.each([
    ['a wrong key of the same length', 'Bearer sk-admin-0123456780'],
    ['a wrong key of another length', 'Bearer sk-admin'],
    ['a very long key', `Bearer ${'x'.repeat(5000)}`],
    ['Basic auth', 'Basic YWxhZGRpbjpvcGVuc2VzYW1l'],
    ['an empty token', 'Bearer '],
    ['a token with a space', 'Bearer sk-admin 0123456789'],
    ['a token with a control character', 'Bearer sk-admin-\u00010123456789'],
    ['two spaces after the scheme', 'Bearer  sk-admin-0123456789'],
  ])('says invalid_api_key for %s', (_case, header) => {
    expect(auth(header)).toEqual({ ok: false, code: 'invalid_api_key' });
  });

  it('refuses two Authorization headers even when one is right', () => {
    expect(auth('Bearer sk-admin-0123456789', 'Bearer sk-admin-0123456789')).toEqual({
      ok: false,
      code: 'invalid_api_key',
    });
  });

  it('applies the per-key allowlist', () => {
    expect(mayUse({ keyName: 'team-a', models: new Set(['llama-4-scout']) }, 'gpt-image')).toBe(
      false,
    );
    expect(mayUse({ keyName: 'team-a', models: new Set(['llama-4-scout']) }, 'llama-4-scout')).toBe(
      true,
    );
    expect(mayUse({ keyName: 'admin' }, 'gpt-image')).toBe(true);
  });
});
