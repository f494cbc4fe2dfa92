import { chat } from './constraints.fixtures';
import { applyHopRules } from './hop.rule';

describe('applyHopRules', () => {
  const req = chat({ logit_bias: { '50256': -100 }, max_tokens: 20_000, temperature: 0.2 });

  it('drops a parameter the hop does not take, and says so', () => {
    const out = applyHopRules({ unsupportedParams: { logit_bias: 'drop' } }, req);
    expect(out.request).not.toHaveProperty('logit_bias');
    expect(out.request.temperature).toBe(0.2);
    expect(out.applied).toEqual(['param_dropped=logit_bias']);
    expect(req).toHaveProperty('logit_bias'); // never mutated
  });

  it('refuses a parameter the catalog says to refuse, naming it', () => {
    expect(() => applyHopRules({ unsupportedParams: { logit_bias: 'refuse' } }, req)).toThrow(
      expect.objectContaining({ status: 400, code: 'unsupported_parameter', param: 'logit_bias' }),
    );
  });

  it('leaves a request without those parameters as it is', () => {
    const plain = chat({});
    const out = applyHopRules({ unsupportedParams: { logit_bias: 'refuse' } }, plain);
    expect(out).toEqual({ request: plain, applied: [] });
  });

  it("lowers max_tokens to the hop's output cap, visibly", () => {
    const out = applyHopRules({ unsupportedParams: {}, maxOutputTokens: 8192 }, req);
    expect(out.request.max_tokens).toBe(8192);
    expect(out.applied).toEqual(['max_tokens_capped=8192']);
  });
});
