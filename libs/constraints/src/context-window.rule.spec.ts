import { chat, PNG } from './constraints.fixtures';
import {
  contextLengthExceeded,
  estimatePromptTokens,
  fitsContextWindow,
  MEDIA_PART_TOKENS,
} from './context-window.rule';

describe('estimatePromptTokens', () => {
  it('counts text at about 4 characters a token and each image at a flat cost, not its base64 size', () => {
    const small = estimatePromptTokens(
      chat({ messages: [{ role: 'user', content: 'x'.repeat(4000) }] }),
    );
    expect(small).toBeGreaterThanOrEqual(1000);
    expect(small).toBeLessThan(1100);
    const withImage = (url: string) =>
      estimatePromptTokens(
        chat({
          messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url } }] }],
        }),
      );
    const huge = `data:image/png;base64,${'A'.repeat(4_000_000)}`;
    expect(withImage(huge)).toBe(withImage(PNG));
    expect(withImage(PNG)).toBeGreaterThanOrEqual(MEDIA_PART_TOKENS);
  });
});

describe('fitsContextWindow and contextLengthExceeded', () => {
  const text = (chars: number) =>
    chat({ messages: [{ role: 'user', content: 'x'.repeat(chars) }] });
  const fits = (req: ReturnType<typeof chat>, window = 1_000): boolean =>
    fitsContextWindow(window, estimatePromptTokens(req), req);

  it('refuses a prompt clearly over the window', () => {
    expect(fits(text(8_000))).toBe(false);
    expect(fits(text(3_000))).toBe(true);
    expect(fits(text(1_000_000), 10_000_000)).toBe(true);
  });

  it('counts the requested completion tokens', () => {
    expect(fits({ ...text(2_000), max_tokens: 400 })).toBe(true);
    expect(fits({ ...text(2_000), max_tokens: 600 })).toBe(false);
    expect(fits({ ...text(2_000), max_completion_tokens: 600 })).toBe(false);
  });

  it('names the largest window in a context_length_exceeded on "messages"', () => {
    const error = contextLengthExceeded(65_536, 70_000, chat({ max_tokens: 100 }));
    expect(error).toMatchObject({
      status: 400,
      code: 'context_length_exceeded',
      param: 'messages',
    });
    expect(error.message).toContain('65536 tokens');
    expect(error.message).toContain('70000 prompt tokens plus 100');
  });
});
