import { SseFramer, SseFramingError } from './sse-framer';

function frame(chunks: string[], max = 1 << 20): string[] {
  const events: string[] = [];
  const sut = new SseFramer((data) => events.push(data), max);
  chunks.forEach((c) => sut.feed(c));
  return events;
}

describe('SseFramer', () => {
  it('dispatches events on a blank line, with one optional space after the colon', () => {
    expect(frame(['data: {"a":1}\n\ndata:{"b":2}\n\ndata: [DONE]\n\n'])).toEqual([
      '{"a":1}',
      '{"b":2}',
      '[DONE]',
    ]);
  });

  it.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
    ['CR only', '\r'],
  ])('frames %s line endings', (_name, eol) => {
    expect(frame([`data: one${eol}${eol}data: two${eol}${eol}`])).toEqual(['one', 'two']);
  });

  it('frames the same however the text is chunked, CRLF split across chunks included', () => {
    const text = 'data: α\r\n\r\n: comment\r\ndata: b\r\ndata: c\r\n\r\n';
    const whole = frame([text]);
    expect(whole).toEqual(['α', 'b\nc']);
    for (let size = 1; size <= text.length; size++) {
      const chunks: string[] = [];
      for (let i = 0; i < text.length; i += size) {
        chunks.push(text.slice(i, i + size));
      }
      expect(frame(chunks)).toEqual(whole);
    }
  });

  it('skips a leading BOM, comments, other fields and field names that only start with data', () => {
    expect(
      frame(['\ufeffdata: x\n\n: keep-alive\n\nevent: ping\nid: 3\nretry: 10\ndatabase: y\n\n']),
    ).toEqual(['x']);
  });

  it('counts every complete line as a sign of life, and none for an unfinished one', () => {
    const sut = new SseFramer(() => undefined, 1024);
    sut.feed(': OPENROUTER PROCESSING\n\n');
    expect(sut.lines).toBe(2);
    sut.feed('data: partial');
    expect(sut.lines).toBe(2);
  });

  it('refuses a line that never ends past the cap, without holding more than the cap', () => {
    const sut = new SseFramer(() => undefined, 4096);
    sut.feed('data: {"first":true}\n\n');
    expect(() => {
      for (let i = 0; i < 1000; i++) {
        sut.feed('x'.repeat(64));
      }
    }).toThrow(SseFramingError);
  });

  it('refuses an event whose data lines add up past the cap', () => {
    const sut = new SseFramer(() => undefined, 100);
    expect(() => {
      for (let i = 0; i < 10; i++) {
        sut.feed(`data: ${'y'.repeat(20)}\n`);
      }
    }).toThrow(SseFramingError);
  });

  it('is linear: 8 MiB dripped in 64-byte pieces before the first line end frames at once', () => {
    const sut = new SseFramer(() => undefined, 16 << 20);
    const piece = 'z'.repeat(64);
    const started = process.hrtime.bigint();
    for (let i = 0; i < (8 << 20) / 64; i++) {
      sut.feed(piece);
    }
    sut.feed('\n');
    // The quadratic re-scan this replaces took minutes here; a generous bound, not a benchmark.
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(3000);
    expect(sut.lines).toBe(1);
  });
});
