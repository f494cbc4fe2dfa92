import { RELAYED_TEXT_MAX, Redactor } from './redaction';

describe('Redactor', () => {
  const sut = new Redactor(['upstream-secret-key-123', undefined, '', 'abc']);

  it('replaces every configured secret wherever it appears', () => {
    const text =
      "Invalid request: header 'Bearer upstream-secret-key-123' and upstream-secret-key-123";
    const clean = sut.redact(text);
    expect(clean).not.toContain('upstream-secret-key-123');
    expect(clean).toBe("Invalid request: header 'Bearer [redacted]' and [redacted]");
  });

  it('replaces credential-shaped tokens that were never configured', () => {
    const clean = sut.redact('key sk-or-v1-0123456789abcdef was refused; Bearer tok_0123456789');
    expect(clean).toBe('key [redacted] was refused; [redacted]');
  });

  it('ignores secrets too short to be safely searched for', () => {
    expect(sut.redact('abc is fine')).toBe('abc is fine');
  });

  it('caps the relayed text', () => {
    const clean = sut.redact('x'.repeat(50_000));
    expect(clean).toHaveLength(RELAYED_TEXT_MAX + 1);
  });
});
