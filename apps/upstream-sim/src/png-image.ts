import { PNG } from 'pngjs';

/** Side of the square PNG that image models return. */
export const IMAGE_SIZE = 256;

/** FNV-1a, so the same prompt always draws the same picture. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Draws a deterministic picture (gradient, rings and stripes derived from the prompt). */
export function renderPromptPng(prompt: string, size = IMAGE_SIZE): Buffer {
  const h = hash32(prompt);
  const h2 = hash32(`${prompt}#`);
  const a = [h & 0xff, (h >>> 8) & 0xff, (h >>> 16) & 0xff];
  const b = [h2 & 0xff, (h2 >>> 8) & 0xff, (h2 >>> 16) & 0xff];
  const rings = 2 + ((h >>> 24) % 6);
  const stripe = 4 + ((h2 >>> 24) % 12);
  const png = new PNG({ width: size, height: size });
  const c = size / 2;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const t = (x + y) / (2 * size);
      const dx = x - c;
      const dy = y - c;
      const ring = Math.floor((Math.sqrt(dx * dx + dy * dy) / c) * rings) % 2;
      const dim = Math.floor((x - y + size) / stripe) % 2 === 0 ? 1 : 0.85;
      const o = (y * size + x) * 4;
      for (let k = 0; k < 3; k++) {
        const base = a[k] * (1 - t) + b[k] * t;
        png.data[o + k] = Math.round((ring ? 255 - base : base) * dim);
      }
      png.data[o + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

/** What the simulator can tell about an image from its bytes alone. */
export interface ImageFacts {
  format: 'PNG' | 'JPEG' | 'GIF' | 'WebP' | 'unknown';
  width?: number;
  height?: number;
  bytes: number;
}

/** Reads the format and, for PNG, JPEG and GIF, the dimensions from the image header. */
export function inspectImage(buf: Buffer): ImageFacts {
  const bytes = buf.length;
  if (
    bytes >= 24 &&
    buf.readUInt32BE(0) === 0x89504e47 &&
    buf.toString('ascii', 12, 16) === 'IHDR'
  ) {
    return { format: 'PNG', width: buf.readUInt32BE(16), height: buf.readUInt32BE(20), bytes };
  }
  if (bytes >= 4 && buf[0] === 0xff && buf[1] === 0xd8) {
    return { format: 'JPEG', ...jpegSize(buf), bytes };
  }
  if (bytes >= 10 && buf.toString('ascii', 0, 4) === 'GIF8') {
    return { format: 'GIF', width: buf.readUInt16LE(6), height: buf.readUInt16LE(8), bytes };
  }
  if (
    bytes >= 12 &&
    buf.toString('ascii', 0, 4) === 'RIFF' &&
    buf.toString('ascii', 8, 12) === 'WEBP'
  ) {
    return { format: 'WebP', bytes };
  }
  return { format: 'unknown', bytes };
}

function jpegSize(buf: Buffer): { width?: number; height?: number } {
  let i = 2;
  while (i + 9 < buf.length) {
    if (buf[i] !== 0xff) {
      return {};
    }
    const marker = buf[i + 1];
    if (marker === 0xff) {
      i++;
      continue;
    }
    const isSof =
      marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      return { height: buf.readUInt16BE(i + 5), width: buf.readUInt16BE(i + 7) };
    }
    i += 2 + buf.readUInt16BE(i + 2);
  }
  return {};
}

/** One sentence a vision model would say about the image, e.g. "I see a PNG image, 64×64 pixels, 1234 bytes." */
export function describeImage(facts: ImageFacts, declaredMime: string): string {
  const kind =
    facts.format === 'unknown'
      ? `an image of unknown format (${declaredMime})`
      : `a ${facts.format} image`;
  const dims =
    facts.width !== undefined && facts.height !== undefined
      ? `, ${facts.width}×${facts.height} pixels`
      : '';
  return `I see ${kind}${dims}, ${facts.bytes} bytes.`;
}
