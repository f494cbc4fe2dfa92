/** Longest upstream text relayed to a client. */
export const RELAYED_TEXT_MAX = 1000;

const REDACTED = '[redacted]';
// Credentials an upstream may echo whatever was configured: bearer tokens and `sk-…` style keys.
const CREDENTIAL_SHAPES = /\bBearer\s+[A-Za-z0-9._~+/=-]{8,}|\bsk-[A-Za-z0-9_-]{8,}/gi;

/**
 * Cleans text an upstream wrote before any of it reaches a client: every configured secret (the
 * backends' keys) and anything shaped like a credential is replaced, and the text is capped.
 * Built once at boot from the configuration.
 */
export class Redactor {
  private readonly secrets: string[];

  constructor(secrets: ReadonlyArray<string | undefined>) {
    this.secrets = [...new Set(secrets.filter((s): s is string => !!s && s.length >= 6))].sort(
      (a, b) => b.length - a.length,
    );
  }

  redact(text: string, max = RELAYED_TEXT_MAX): string {
    let clean = text;
    for (const secret of this.secrets) {
      if (clean.includes(secret)) {
        clean = clean.split(secret).join(REDACTED);
      }
    }
    clean = clean.replace(CREDENTIAL_SHAPES, REDACTED);
    return clean.length > max ? `${clean.slice(0, max)}…` : clean;
  }
}
