import { PNG } from 'pngjs';
import { describeImage, inspectImage, renderPromptPng } from './png-image';

function jpegHeader(width: number, height: number): Buffer {
  const app0 = [0xff, 0xe0, 0x00, 0x10, ...Buffer.from('JFIF\0'), 1, 1, 0, 0, 1, 0, 1, 0, 0];
  const sof0 = [0xff, 0xc0, 0x00, 0x11, 8, height >> 8, height & 0xff, width >> 8, width & 0xff, 3];
  return Buffer.from([0xff, 0xd8, ...app0, ...sof0, ...new Array<number>(9).fill(0)]);
}

describe('renderPromptPng', () => {
  it('draws a valid PNG of the requested size, the same for the same prompt', () => {
    const a = renderPromptPng('a red fox', 64);
    const png = PNG.sync.read(a);
    expect([png.width, png.height]).toEqual([64, 64]);
    expect(renderPromptPng('a red fox', 64).equals(a)).toBe(true);
    expect(renderPromptPng('a blue whale', 64).equals(a)).toBe(false);
  });
});

describe('inspectImage', () => {
  it('reads PNG dimensions from the IHDR', () => {
    const buf = renderPromptPng('x', 32);
    expect(inspectImage(buf)).toEqual({ format: 'PNG', width: 32, height: 32, bytes: buf.length });
  });

  it('reads JPEG dimensions from the SOF segment', () => {
    expect(inspectImage(jpegHeader(640, 480))).toMatchObject({
      format: 'JPEG',
      width: 640,
      height: 480,
    });
  });

  it('admits what it cannot read', () => {
    const facts = inspectImage(Buffer.from('not an image'));
    expect(facts).toEqual({ format: 'unknown', bytes: 12 });
    expect(describeImage(facts, 'image/heic')).toBe(
      'I see an image of unknown format (image/heic), 12 bytes.',
    );
  });
});
