import { chat, withFloor } from './constraints.fixtures';
import { floorMaxTokens } from './max-tokens-floor.rule';

describe('floorMaxTokens', () => {
  it('raises max_tokens below the floor and reports it, leaving the input alone', () => {
    const req = chat({ max_tokens: 50, top_k: 3 });
    const out = floorMaxTokens(withFloor(200), req);
    expect(out).toEqual({
      request: { ...req, max_tokens: 200 },
      applied: 'max_tokens_floored=200',
    });
    expect(req.max_tokens).toBe(50);
    expect(out.request).not.toBe(req);
  });

  it('raises max_completion_tokens too, and both when both are low (one report)', () => {
    expect(floorMaxTokens(withFloor(16), chat({ max_completion_tokens: 5 }))).toEqual({
      request: chat({ max_completion_tokens: 16 }),
      applied: 'max_tokens_floored=16',
    });
    const both = floorMaxTokens(
      withFloor(200),
      chat({ max_tokens: 1, max_completion_tokens: 300 }),
    );
    expect(both.request).toMatchObject({ max_tokens: 200, max_completion_tokens: 300 });
    expect(both.applied).toBe('max_tokens_floored=200');
  });

  it.each([
    ['no field set', chat()],
    ['null fields', chat({ max_tokens: null, max_completion_tokens: null })],
    ['a value at the floor', chat({ max_tokens: 200 })],
    ['a value above it', chat({ max_completion_tokens: 1500 })],
  ])('changes nothing for %s', (_case, req) => {
    const out = floorMaxTokens(withFloor(200), req);
    expect(out.request).toBe(req);
    expect(out.applied).toBeUndefined();
  });

  it('does nothing for an alias without a floor', () => {
    const req = chat({ max_tokens: 1 });
    expect(floorMaxTokens(withFloor(null), req)).toEqual({ request: req });
  });
});
