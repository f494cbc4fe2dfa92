import type { IncomingMessage } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import type { Cancellation, CancelSubscription } from './cancellation';
import { SseFramer, SseFramingError } from './sse-framer';

/** Why reading an upstream body stopped short. */
export type ReadFailure =
  /** More bytes than the body cap. */
  | 'body_too_large'
  /** One SSE line or event longer than its cap (e.g. bytes that never end a line). */
  | 'event_too_large'
  /** No progress (a complete SSE line, or any byte of a JSON body) for the idle timeout. */
  | 'idle_timeout'
  /** A stream whose first event did not arrive within the hop's response budget. */
  | 'first_event_timeout'
  /** A body still arriving at its deadline (JSON), or a stream past its maximum duration. */
  | 'deadline_exceeded'
  /** A compressed body: the gateway never asks for one (`accept-encoding: identity`). */
  | 'unsupported_encoding'
  /** The upstream connection closed or failed before the body ended. */
  | 'connection_lost'
  /** A stream that ended without a single event. */
  | 'empty_stream'
  /** The client went away: the upstream call is cancelled, and nobody is to blame. */
  | 'aborted';

export class UpstreamReadError extends Error {
  constructor(readonly kind: ReadFailure) {
    super(`upstream body: ${kind}`);
    this.name = 'UpstreamReadError';
  }
}

export interface ReadLimits {
  /** Cap on the bytes read (JSON), or relayed (SSE). */
  maxBytes: number;
  /** Longest silence: no byte of a JSON body, no complete line of a stream. */
  idleMs: number;
  /** Epoch ms by which a JSON body must have ended, or a stream's first event arrived. */
  deadline: number;
  /** Streams: cap on one line or event, in characters. */
  maxEventChars?: number;
  /** Streams: longest a stream may last once its first event arrived. */
  maxDurationMs?: number;
}

/**
 * The one guard every upstream body passes through: a byte cap, the stream timers (idle, deadline,
 * duration) and the client's abort signal. Whatever ends the read, the upstream response is
 * destroyed (its socket closed, never returned to the pool half-read) and `finish` runs once.
 */
abstract class BoundedRead {
  protected bytes = 0;
  private lastProgress = Date.now();
  private paused = false;
  /** Whether silence counts yet: a stream's wait for its first event is bounded by the deadline instead. */
  protected idleCounts = true;
  private done = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private durationTimer: NodeJS.Timeout | undefined;
  private subscription: CancelSubscription | undefined;
  private readonly onAbort = (): void => this.fail('aborted');

  constructor(
    protected readonly res: IncomingMessage,
    protected readonly limits: ReadLimits,
    private readonly signal: Cancellation,
  ) {}

  /** Starts reading; call once, from the subclass constructor's end. */
  protected start(): void {
    const encoding = this.res.headers['content-encoding'];
    if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
      this.fail('unsupported_encoding');
      return;
    }
    if (this.signal.aborted) {
      this.fail('aborted');
      return;
    }
    this.subscription = this.signal.onCancel(this.onAbort);
    this.res.on('data', (chunk: Buffer) => this.onData(chunk));
    this.res.once('end', () => this.succeed());
    this.res.once('close', () => this.fail('connection_lost')); // after 'end' this is a no-op
    this.res.on('error', () => this.fail('connection_lost'));
    this.idleTimer = setTimeout(() => this.checkIdle(), this.limits.idleMs);
    this.armDeadline();
  }

  /** Marks progress (resets the idle clock). */
  protected progress(): void {
    this.lastProgress = Date.now();
  }

  protected clearDeadline(): void {
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
  }

  protected startDuration(): void {
    if (this.limits.maxDurationMs !== undefined) {
      this.durationTimer = setTimeout(
        () => this.fail('deadline_exceeded'),
        this.limits.maxDurationMs,
      );
    }
  }

  /** Stops the flow while a slow client catches up; the idle clock does not run meanwhile. */
  pause(): void {
    this.paused = true;
    this.res.pause();
  }

  resume(): void {
    if (this.done) {
      return;
    }
    this.paused = false;
    this.progress();
    this.res.resume();
  }

  /** Ends the read at once (the client left, or the caller has what it needs). */
  cancel(): void {
    this.fail('aborted');
  }

  get finished(): boolean {
    return this.done;
  }

  protected abstract accept(chunk: Buffer): void;
  protected abstract finish(failure: UpstreamReadError | undefined): void;

  protected fail(kind: ReadFailure): void {
    if (!this.done) {
      this.settle(new UpstreamReadError(kind));
    }
  }

  private succeed(): void {
    this.settle(undefined);
  }

  private settle(failure: UpstreamReadError | undefined): void {
    if (this.done) {
      return;
    }
    this.done = true;
    clearTimeout(this.idleTimer);
    clearTimeout(this.deadlineTimer);
    clearTimeout(this.durationTimer);
    this.signal.off(this.subscription);
    if (failure) {
      this.res.destroy();
    }
    this.finish(failure);
  }

  private onData(chunk: Buffer): void {
    if (this.done) {
      return;
    }
    this.bytes += chunk.length;
    if (this.bytes > this.limits.maxBytes) {
      this.fail('body_too_large');
      return;
    }
    try {
      this.accept(chunk);
    } catch (err) {
      if (err instanceof SseFramingError) {
        this.fail('event_too_large');
        return;
      }
      throw err;
    }
  }

  private checkIdle(): void {
    if (this.done) {
      return;
    }
    const quiet = Date.now() - this.lastProgress;
    if (!this.paused && this.idleCounts && quiet >= this.limits.idleMs) {
      this.fail('idle_timeout');
      return;
    }
    // One timer per read, re-armed only when it fires: progress costs a clock read, not a timer.
    this.idleTimer = setTimeout(
      () => this.checkIdle(),
      this.paused || !this.idleCounts ? this.limits.idleMs : this.limits.idleMs - quiet,
    );
  }

  private armDeadline(): void {
    const wait = this.limits.deadline - Date.now();
    this.deadlineTimer = setTimeout(() => this.onDeadline(), Math.max(0, wait));
  }

  protected onDeadline(): void {
    this.fail('deadline_exceeded');
  }
}

/** Reads a whole (JSON) upstream body under the caps; rejects with {@link UpstreamReadError}. */
export function readUpstreamBody(
  res: IncomingMessage,
  limits: ReadLimits,
  signal: Cancellation,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    new WholeBodyRead(res, limits, signal, (failure, body) =>
      failure ? reject(failure) : resolve(body),
    );
  });
}

class WholeBodyRead extends BoundedRead {
  private readonly chunks: Buffer[] = [];

  constructor(
    res: IncomingMessage,
    limits: ReadLimits,
    signal: Cancellation,
    private readonly callback: (failure: UpstreamReadError | undefined, body: Buffer) => void,
  ) {
    super(res, limits, signal);
    this.start();
  }

  protected accept(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.progress();
  }

  protected finish(failure: UpstreamReadError | undefined): void {
    const body = failure ? Buffer.alloc(0) : Buffer.concat(this.chunks, this.bytes);
    this.chunks.length = 0;
    this.callback(failure, body);
  }
}

/** Receives a stream's events once attached. */
export interface SseSink {
  /** One event's `data` (multi-line data joined with `\n`). */
  event(data: string): void;
  /** Every event of one upstream chunk has been delivered: a moment to write them out together. */
  flush(): void;
  /** The stream ended: cleanly (`undefined`) or not. Called once. */
  end(failure: UpstreamReadError | undefined): void;
}

/**
 * An upstream SSE body read event by event under the caps and timers. The first event is awaited
 * by the router (`firstEvent`, bounded by the hop's deadline and the client's abort); then the
 * relay attaches a sink and gets every event, the first one included, in order.
 */
/** Event text held between the first event and the relay attaching, before the flow is paused. */
const QUEUE_BEFORE_ATTACH_CHARS = 64 * 1024;

export class SseReader extends BoundedRead {
  private readonly decoder = new StringDecoder('utf8');
  private readonly framer: SseFramer;
  private readonly queued: string[] = [];
  private queuedChars = 0;
  private sink: SseSink | undefined;
  private ended: { failure: UpstreamReadError | undefined } | undefined;
  private first: { resolve: (data: string) => void; reject: (e: UpstreamReadError) => void };
  private readonly firstPromise: Promise<string>;
  private gotFirst = false;

  constructor(res: IncomingMessage, limits: ReadLimits, signal: Cancellation) {
    super(res, limits, signal);
    // Until the first event only the hop's deadline applies (vLLM sends headers before it
    // schedules a request); from then on, the idle timeout.
    this.idleCounts = false;
    this.framer = new SseFramer((data) => this.onEvent(data), limits.maxEventChars ?? 8 << 20);
    this.firstPromise = new Promise((resolve, reject) => (this.first = { resolve, reject }));
    // Whoever awaits it handles a rejection; an unawaited one must not crash the process.
    this.firstPromise.catch(() => undefined);
    this.start();
  }

  /** The first event's data; rejects when the stream fails or ends before one arrives. */
  firstEvent(): Promise<string> {
    return this.firstPromise;
  }

  /** Hands every event (queued ones first) to `sink`, and resumes the flow. */
  attach(sink: SseSink): void {
    this.sink = sink;
    for (const data of this.queued.splice(0)) {
      sink.event(data);
    }
    this.queuedChars = 0;
    sink.flush();
    if (this.ended) {
      sink.end(this.ended.failure);
      return;
    }
    this.resume();
  }

  protected accept(chunk: Buffer): void {
    const before = this.framer.lines;
    this.framer.feed(this.decoder.write(chunk));
    if (this.framer.lines !== before) {
      this.progress();
      this.sink?.flush();
    }
  }

  protected onDeadline(): void {
    this.fail(this.gotFirst ? 'deadline_exceeded' : 'first_event_timeout');
  }

  protected finish(failure: UpstreamReadError | undefined): void {
    if (!this.gotFirst) {
      this.first.reject(failure ?? new UpstreamReadError('empty_stream'));
    }
    if (this.sink) {
      this.sink.end(failure);
    } else {
      this.ended = { failure };
    }
  }

  private onEvent(data: string): void {
    if (!this.gotFirst) {
      this.gotFirst = true;
      this.idleCounts = true;
      this.progress();
      this.clearDeadline();
      this.startDuration();
      this.first.resolve(data);
    }
    if (this.sink) {
      this.sink.event(data);
    } else {
      // Until the relay attaches, hold what arrived: whatever the upstream sent in one go is then
      // relayed in one write. Past a bound the flow stops until the relay takes over.
      this.queued.push(data);
      this.queuedChars += data.length;
      if (this.queuedChars > QUEUE_BEFORE_ATTACH_CHARS) {
        this.pause();
      }
    }
  }
}
