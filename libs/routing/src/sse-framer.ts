/** Why a stream's framing was refused. */
export class SseFramingError extends Error {
  constructor(readonly limit: number) {
    super(`an SSE line or event exceeded ${limit} characters`);
    this.name = 'SseFramingError';
  }
}

const LF = 10;
const CR = 13;

/**
 * Splits decoded Server-Sent Events text into events, as the WHATWG event-stream grammar says
 * (lines end in LF, CR or CRLF; `data:` lines accumulate; a blank line dispatches; `:` lines are
 * comments). Linear in the input: each character is scanned once, however the text is chunked,
 * and no line or event may grow past `maxChars`, so an upstream that never ends a line cannot
 * make the gateway buffer without bound.
 */
export class SseFramer {
  private partial = '';
  private data: string | undefined;
  private afterCR = false;
  private started = false;
  /** Complete lines seen so far (events, comments and fields alike): a stream's sign of life. */
  lines = 0;

  constructor(
    private readonly onEvent: (data: string) => void,
    private readonly maxChars: number,
  ) {}

  /** Feeds decoded text; dispatches every event it completes. Throws {@link SseFramingError}. */
  feed(text: string): void {
    let start = 0;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) {
        start = 1;
      }
    }
    if (this.afterCR && start < text.length) {
      this.afterCR = false;
      if (text.charCodeAt(start) === LF) {
        start++;
      }
    }
    let nextLF = text.indexOf('\n', start);
    let nextCR = text.indexOf('\r', start);
    while (nextLF !== -1 || nextCR !== -1) {
      const end = nextCR === -1 || (nextLF !== -1 && nextLF < nextCR) ? nextLF : nextCR;
      if (this.partial.length === 0) {
        this.line(text, start, end);
      } else {
        const line = this.partial + text.slice(start, end);
        this.partial = '';
        this.line(line, 0, line.length);
      }
      start = end + 1;
      if (text.charCodeAt(end) === CR) {
        if (start === text.length) {
          this.afterCR = true;
        } else if (text.charCodeAt(start) === LF) {
          start++;
        }
      }
      if (nextLF !== -1 && nextLF < start) {
        nextLF = text.indexOf('\n', start);
      }
      if (nextCR !== -1 && nextCR < start) {
        nextCR = text.indexOf('\r', start);
      }
    }
    if (start < text.length) {
      this.partial += text.slice(start);
      if (this.partial.length > this.maxChars) {
        throw new SseFramingError(this.maxChars);
      }
    }
  }

  /** The line `text[start, end)`: sliced only for what it carries (a `data` value). */
  private line(text: string, start: number, end: number): void {
    this.lines++;
    if (start === end) {
      if (this.data !== undefined) {
        const data = this.data;
        this.data = undefined;
        this.onEvent(data);
      }
      return;
    }
    const first = text.charCodeAt(start);
    if (first === 0x3a /* ':' comment */) {
      return;
    }
    // Only the `data` field matters to a chat relay; `event`, `id` and `retry` are not used by
    // the OpenAI-compatible APIs and are dropped, as unknown fields are.
    if (first !== 0x64 /* d */ || !text.startsWith('data', start) || end - start < 4) {
      return;
    }
    let value: string;
    if (end - start === 4) {
      value = '';
    } else if (text.charCodeAt(start + 4) === 0x3a) {
      value = text.slice(text.charCodeAt(start + 5) === 0x20 ? start + 6 : start + 5, end);
    } else {
      return; // A field named e.g. `database`: not ours.
    }
    const data = this.data === undefined ? value : `${this.data}\n${value}`;
    if (data.length > this.maxChars) {
      throw new SseFramingError(this.maxChars);
    }
    this.data = data;
  }
}
