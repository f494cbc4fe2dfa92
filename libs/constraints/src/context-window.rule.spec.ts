import { chat, entry, PNG } from './constraints.fixtures';
import { checkContextWindow, estimatePromptTokens, MEDIA_PART_TOKENS } from './context-window.rule';

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

describe('checkContextWindow', () => {
  const small = entry({ context_window: 1_000 });
  const text = (chars: number) =>
    chat({ messages: [{ role: 'user', content: 'x'.repeat(chars) }] });

  it('refuses a prompt clearly over the window with context_length_exceeded on "messages"', () => {
    expect(() => checkContextWindow(small, text(8_000))).toThrow(
      expect.objectContaining({ status: 400, code: 'context_length_exceeded', param: 'messages' }),
    );
  });

  it('counts the requested completion tokens', () => {
    expect(() => checkContextWindow(small, { ...text(2_000), max_tokens: 400 })).not.toThrow();
    expect(() => checkContextWindow(small, { ...text(2_000), max_tokens: 600 })).toThrow(
      expect.objectContaining({ code: 'context_length_exceeded' }),
    );
    expect(() => checkContextWindow(small, { ...text(2_000), max_completion_tokens: 600 })).toThrow(
      expect.objectContaining({ code: 'context_length_exceeded' }),
    );
  });

  it('lets a prompt within the window through', () => {
    expect(() => checkContextWindow(small, text(3_000))).not.toThrow();
    expect(() =>
      checkContextWindow(entry({ context_window: 10_000_000 }), text(1_000_000)),
    ).not.toThrow();
  });
});
