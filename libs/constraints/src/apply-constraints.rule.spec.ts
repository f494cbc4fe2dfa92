import { loadConfig, type ModelEntry } from '@app/config';
import type { ChatCompletionRequest } from '@app/contracts';
import { applyConstraints } from './apply-constraints.rule';
import { chat, entry, PNG } from './constraints.fixtures';

const catalog = loadConfig({ GATEWAY_API_KEYS: 'sk-unit-test-0123456789abcdef' }).models;
const alias = (name: string): ModelEntry => {
  const found = catalog.find((m) => m.alias === name);
  if (!found) {
    throw new Error(`no alias ${name}`);
  }
  return found;
};

describe('applyConstraints', () => {
  it('floors gpt-5.5-pro to 200 and reports it, without touching the input', () => {
    const req = chat({ max_tokens: 50, top_k: 7 });
    const frozen = structuredClone(req);
    const out = applyConstraints(alias('gpt-5.5-pro'), req);
    expect(out).toEqual({
      request: { ...req, max_tokens: 200 },
      applied: ['max_tokens_floored=200'],
    });
    expect(req).toEqual(frozen);
  });

  it('gives gpt-image its floor of 16 and asks it for an image', () => {
    const out = applyConstraints(alias('gpt-image'), chat({ max_tokens: 5 }));
    expect(out.request).toMatchObject({ max_tokens: 16, modalities: ['image', 'text'] });
    expect(out.applied).toEqual(['max_tokens_floored=16']);
  });

  it('applies per member: image-gen itself has no floor, its gpt-image member has one', () => {
    const req = chat({ max_tokens: 5 });
    const outer = applyConstraints(alias('image-gen'), req);
    expect(outer.applied).toEqual([]);
    expect(applyConstraints(alias('gpt-image'), outer.request).applied).toEqual([
      'max_tokens_floored=16',
    ]);
    expect(applyConstraints(alias('nano-banana'), outer.request).request.max_tokens).toBe(5);
  });

  it('returns the same object when nothing applies', () => {
    const req = chat({ max_tokens: 500 });
    const out = applyConstraints(alias('llama-4-scout'), req);
    expect(out.request).toBe(req);
    expect(out.applied).toEqual([]);
  });

  it.each([
    ['audio to llama-4-scout', 'llama-4-scout', 'audio_input_not_supported'],
    ['tools to nano-banana', 'nano-banana', 'tools_not_supported'],
  ])('refuses %s', (_case, name, code) => {
    const req: ChatCompletionRequest =
      code === 'tools_not_supported'
        ? chat({ tools: [{ type: 'function', function: { name: 'f' } }] })
        : chat({
            messages: [
              {
                role: 'user',
                content: [{ type: 'input_audio', input_audio: { data: 'AA==', format: 'wav' } }],
              },
            ],
          });
    expect(() => applyConstraints(alias(name), req)).toThrow(expect.objectContaining({ code }));
  });

  it('lets gemini-3.1-pro take audio, video and images', () => {
    const req = chat({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: PNG } },
            { type: 'input_audio', input_audio: { data: 'AA==', format: 'wav' } },
            { type: 'video_url', video_url: { url: 'data:video/mp4;base64,AA==' } },
          ],
        },
      ],
    });
    expect(() => applyConstraints(alias('gemini-3.1-pro'), req)).not.toThrow();
  });

  it('refuses before flooring: a refused request reports nothing', () => {
    const model = entry({
      tools: false,
      constraints: { min_max_tokens: 200, accepts_image_url: false, typical_response_seconds: 1 },
    });
    expect(() =>
      applyConstraints(
        model,
        chat({ max_tokens: 1, tools: [{ type: 'function', function: { name: 'f' } }] }),
      ),
    ).toThrow(expect.objectContaining({ code: 'tools_not_supported' }));
  });
});
