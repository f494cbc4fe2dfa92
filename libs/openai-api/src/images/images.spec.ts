import { GatewayError } from '@app/contracts';
import { chatToImages } from './chat-to-images';
import { imagesToChat } from './images-to-chat';

const answer = (message: Record<string, unknown>): Record<string, unknown> => ({
  created: 1767225600,
  choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 12, completion_tokens: 1290, total_tokens: 1302 },
});

describe('imagesToChat', () => {
  it('asks for one image with the options in image_config, "auto" meaning none', () => {
    const { chat } = imagesToChat(
      {
        model: 'gpt-image',
        prompt: 'a fox',
        size: '1536x1024',
        quality: 'auto',
        output_format: 'webp',
        n: 1,
      },
      'generation',
    );
    expect(chat).toEqual({
      model: 'gpt-image',
      messages: [{ role: 'user', content: 'a fox' }],
      image_config: { size: '1536x1024', output_format: 'webp' },
    });
  });

  it('names an edit input image by its own path in a refusal', () => {
    const { paramOf } = imagesToChat(
      { model: 'm', prompt: 'p', images: [{ image_url: 'data:image/png;base64,AAAA' }] },
      'edit',
    );
    expect(paramOf('messages[0].content[1]')).toBe('images[0].image_url');
    expect(paramOf('messages[0].content')).toBe('prompt');
    expect(paramOf('model')).toBe('model');
  });
});

describe('chatToImages', () => {
  it('returns each image as b64_json with Images API usage', () => {
    const body = answer({
      content: 'Here is your image',
      images: [{ type: 'image_url', image_url: { url: 'data:image/webp;base64,UklGRg==' } }],
    });
    expect(chatToImages(body, { model: 'm', prompt: 'p', size: '1024x1024' })).toEqual({
      created: 1767225600,
      data: [{ b64_json: 'UklGRg==' }],
      output_format: 'webp',
      size: '1024x1024',
      usage: {
        input_tokens: 12,
        input_tokens_details: { text_tokens: 12, image_tokens: 0 },
        output_tokens: 1290,
        total_tokens: 1302,
      },
    });
  });

  it('is a 502 no_image_generated when the model answered with text only', () => {
    expect(() =>
      chatToImages(answer({ content: 'I cannot draw that.' }), { model: 'm', prompt: 'p' }),
    ).toThrow(expect.objectContaining({ status: 502, code: 'no_image_generated' }) as GatewayError);
  });
});
