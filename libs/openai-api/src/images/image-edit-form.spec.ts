import type { FormFile, MultipartForm } from '@app/chat';
import { TINY_PNG_DATA_URI } from '@app/contracts';
import { imageEditFromForm, sniffImageType } from './image-edit-form';
import { imagesToChat } from './images-to-chat';

const PNG = Buffer.from(TINY_PNG_DATA_URI.split(',')[1], 'base64');
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46]);
const WEBP = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBPVP8 ')]);
const GIF = Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1');

const file = (data: Buffer, mimeType = 'image/png', field = 'image'): FormFile => ({
  field,
  filename: 'in.png',
  mimeType,
  data,
});
const form = (fields: Record<string, string>, files: FormFile[]): MultipartForm => ({
  fields: Object.entries(fields).map(([name, value]) => ({ name, value })),
  files,
});
const refusal = (make: () => unknown): { param: string | null; code: string } => {
  try {
    make();
  } catch (error) {
    return error as { param: string | null; code: string };
  }
  throw new Error('not refused');
};

describe('imageEditFromForm', () => {
  it('is the JSON edit body: typed fields, each image a data URI in images[], in order', () => {
    const body = imageEditFromForm(
      form(
        {
          model: 'nano-banana',
          prompt: 'Make it blue',
          n: '1',
          size: '1024x1024',
          stream: 'false',
        },
        [file(PNG, 'image/png', 'image[]'), file(JPEG, 'application/octet-stream', 'image[]')],
      ),
    );
    expect(body).toEqual({
      model: 'nano-banana',
      prompt: 'Make it blue',
      n: 1,
      size: '1024x1024',
      stream: false,
      images: [
        { image_url: TINY_PNG_DATA_URI },
        { image_url: `data:image/jpeg;base64,${JPEG.toString('base64')}` },
      ],
    });
    // And it translates like the JSON form: the images after the prompt.
    expect(imagesToChat(body, 'edit').chat.messages[0].content).toEqual([
      { type: 'text', text: 'Make it blue' },
      { type: 'image_url', image_url: { url: TINY_PNG_DATA_URI } },
      {
        type: 'image_url',
        image_url: { url: `data:image/jpeg;base64,${JPEG.toString('base64')}` },
      },
    ]);
  });

  it('leaves a value the schema cannot take as a string, for the schema to refuse by name', () => {
    const body = imageEditFromForm(form({ model: 'm', prompt: 'p', n: 'two' }, [file(PNG)]));
    expect(body.n).toBe('two');
    expect(refusal(() => imagesToChat(body, 'edit'))).toMatchObject({ param: 'n' });
  });

  it('hands a mask or an unknown file to the JSON form’s own refusals', () => {
    const masked = imageEditFromForm(
      form({ model: 'm', prompt: 'p' }, [file(PNG), file(PNG, 'image/png', 'mask')]),
    );
    expect(refusal(() => imagesToChat(masked, 'edit'))).toMatchObject({
      param: 'mask',
      code: 'unsupported_parameter',
    });
    const unknown = imageEditFromForm(
      form({ model: 'm', prompt: 'p' }, [file(PNG), file(PNG, 'image/png', 'style')]),
    );
    expect(refusal(() => imagesToChat(unknown, 'edit'))).toMatchObject({
      param: 'style',
      code: 'unsupported_parameter',
    });
  });

  it.each<[string, MultipartForm, string, string]>([
    ['no image', form({ model: 'm', prompt: 'p' }, []), 'image', 'missing_required_parameter'],
    [
      'an image as text',
      form({ model: 'm', prompt: 'p', image: TINY_PNG_DATA_URI }, [file(PNG)]),
      'image',
      'invalid_type',
    ],
    [
      'the JSON form’s images',
      form({ model: 'm', prompt: 'p', images: '[]' }, [file(PNG)]),
      'images',
      'unsupported_parameter',
    ],
    [
      'a prompt as a file',
      form({ model: 'm' }, [file(PNG), file(PNG, 'text/plain', 'prompt')]),
      'prompt',
      'invalid_type',
    ],
    [
      'a field sent twice',
      {
        fields: [
          { name: 'prompt', value: 'a' },
          { name: 'prompt', value: 'b' },
        ],
        files: [file(PNG)],
      },
      'prompt',
      'invalid_value',
    ],
    [
      'a text file',
      form({ model: 'm', prompt: 'p' }, [file(Buffer.from('hello'), 'text/plain')]),
      'image',
      'invalid_image_data',
    ],
    [
      'an SVG',
      form({ model: 'm', prompt: 'p' }, [file(Buffer.from('<svg/>'), 'image/svg+xml')]),
      'image',
      'invalid_image_data',
    ],
    [
      'text bytes declared as PNG',
      form({ model: 'm', prompt: 'p' }, [
        file(PNG),
        file(Buffer.from('hello'), 'image/png', 'image'),
      ]),
      'image[1]',
      'invalid_image_data',
    ],
    [
      'untyped bytes that are no image',
      form({ model: 'm', prompt: 'p' }, [file(Buffer.from('hello'), 'application/octet-stream')]),
      'image',
      'invalid_image_data',
    ],
    [
      'an empty file',
      form({ model: 'm', prompt: 'p' }, [file(Buffer.alloc(0), 'image/bmp')]),
      'image',
      'invalid_image_data',
    ],
  ])('refuses %s with 400 naming the field', (_case, input, param, code) => {
    expect(refusal(() => imageEditFromForm(input))).toMatchObject({ status: 400, param, code });
  });

  it('takes another raster type as declared, since its bytes are not sniffed', () => {
    const bmp = Buffer.from('BM\x00\x00', 'latin1');
    const body = imageEditFromForm(form({ model: 'm', prompt: 'p' }, [file(bmp, 'image/bmp')]));
    expect(body.images).toEqual([{ image_url: `data:image/bmp;base64,${bmp.toString('base64')}` }]);
  });
});

describe('sniffImageType', () => {
  it.each<[string, Buffer, string | undefined]>([
    ['PNG', PNG, 'png'],
    ['JPEG', JPEG, 'jpeg'],
    ['WebP', WEBP, 'webp'],
    ['GIF', GIF, 'gif'],
    ['text', Buffer.from('hello world'), undefined],
    ['nothing', Buffer.alloc(0), undefined],
  ])('%s', (_name, data, type) => {
    expect(sniffImageType(data)).toBe(type);
  });
});
