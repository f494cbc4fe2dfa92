import type { ContentPart } from '@app/contracts';
import { chat, entry, PNG } from './constraints.fixtures';
import { checkModalities } from './modalities.rule';

const parts = (...content: ContentPart[]) =>
  chat({
    messages: [
      { role: 'system', content: 'x' },
      { role: 'user', content },
    ],
  });
const image: ContentPart = { type: 'image_url', image_url: { url: PNG } };
const audio: ContentPart = { type: 'input_audio', input_audio: { data: 'AA==', format: 'wav' } };
const video: ContentPart = { type: 'video_url', video_url: { url: 'data:video/mp4;base64,AA==' } };
const text: ContentPart = { type: 'text', text: 'look' };

const textOnly = entry({ modalities: { input: ['text'], output: ['text'] } });
const vision = entry({ modalities: { input: ['text', 'image'], output: ['text'] } });
const gemini = entry({
  modalities: { input: ['text', 'image', 'audio', 'video'], output: ['text'] },
});

function violation(fn: () => void): { status: number; code: string; param: string | null } {
  try {
    fn();
  } catch (err) {
    return err as { status: number; code: string; param: string | null };
  }
  throw new Error('expected a ConstraintViolationError');
}

describe('checkModalities', () => {
  it.each([
    ['an image to a text-only alias', textOnly, parts(text, image), 'image_input_not_supported'],
    ['audio to a vision alias', vision, parts(text, audio), 'audio_input_not_supported'],
    ['video to a vision alias', vision, parts(video), 'video_input_not_supported'],
  ])('refuses %s with the exact part path', (_case, model, req, code) => {
    const error = violation(() => checkModalities(model, req));
    expect(error).toMatchObject({ status: 400, code });
    expect(error.param).toBe(
      `messages[1].content[${code === 'video_input_not_supported' ? 0 : 1}]`,
    );
  });

  it('lets each alias take what it declares', () => {
    expect(() => checkModalities(vision, parts(text, image))).not.toThrow();
    expect(() => checkModalities(gemini, parts(text, image, audio, video))).not.toThrow();
    expect(() => checkModalities(textOnly, parts(text))).not.toThrow();
    expect(() => checkModalities(textOnly, chat())).not.toThrow();
  });

  it('refuses tools to an alias without tool support (param "tools"), not to one with it', () => {
    const req = chat({ tools: [{ type: 'function', function: { name: 'f' } }] });
    expect(violation(() => checkModalities(entry({ tools: false }), req))).toMatchObject({
      code: 'tools_not_supported',
      param: 'tools',
    });
    expect(() => checkModalities(entry({ tools: true }), req)).not.toThrow();
    expect(() => checkModalities(entry({ tools: false }), chat({ tools: [] }))).not.toThrow();
  });
});
