import type { ServerResponse } from 'node:http';
import type { CancelSubscription, Cancellation, SseReader, UpstreamReadError } from '@app/routing';
import { jsonStringEnd } from './json-walk';

/**
 * The fields a pass-through relay reads or rewrites, found in one scan of each event. A key's
 * quotes cannot occur unescaped inside a JSON string, so each match is a real key.
 */
const FIELDS = /"(model|error|usage|finish_reason)":\s*/g;
const FINISH_REASON = /^"([a-z_]{1,32})"/;

/** Who cut a stream that did not complete: the upstream counts against its backend, the client does not. */
export type RelayBlame = 'upstream' | 'client' | 'gateway';

export interface RelayOutcome {
  /** The upstream finished with `[DONE]` and the client received all of it. */
  completed: boolean;
  /** Why the stream was cut, when it was: the error `code` (also sent to the client when it can still read). */
  failure?: { code: string; blame: RelayBlame };
  /** Token usage from the upstream's usage chunk. */
  usage?: { input: number; output: number };
  finishReason?: string;
  /** `performance.now()` when the first event was written to the client. */
  firstWriteAt?: number;
}

/**
 * Turns the upstream's chat chunks into another stream dialect (the Responses API's typed events).
 * Each method returns the SSE text to write, already framed.
 */
export interface SseTranslator {
  /** One upstream chat chunk (a JSON object that is not an error event). */
  chunk(chunk: Record<string, unknown>): string;
  /**
   * One chunk read from its text, without a parse, when it is plain (text and nothing else of note:
   * no error, usage, finish reason or other content); `undefined` when it must be parsed.
   */
  plain?(data: string): string | undefined;
  /** The upstream finished (`[DONE]`). */
  done(): string;
  /** The stream was cut; never called after {@link done}'s text was written. */
  fail(code: string, message: string): string;
}

export interface RelayOptions {
  alias: string;
  /** Translates the stream; without one, the chat chunks pass through as they came. */
  translator?: SseTranslator;
  /** How long a client may stop reading (backpressure) before its stream is cut. */
  stallTimeoutMs: number;
  /** The gateway added `stream_options.include_usage`: drop the usage chunk the client did not ask for. */
  usageAdded: boolean;
  /** Aborted when the gateway must end every stream now (end of the shutdown grace period). */
  stop?: Cancellation;
  /** Called once when the relay ends. */
  onEnd?: (outcome: RelayOutcome) => void;
}

const FAILURES: Record<UpstreamReadError['kind'], [code: string, message: string]> = {
  idle_timeout: ['upstream_timeout', 'The upstream went quiet mid-stream; the stream was cut.'],
  deadline_exceeded: ['upstream_timeout', 'The stream ran past its maximum duration.'],
  first_event_timeout: ['upstream_timeout', 'The upstream sent no event in time.'],
  body_too_large: ['upstream_response_too_large', 'The stream exceeded its size limit.'],
  event_too_large: ['upstream_response_too_large', 'An upstream event exceeded its size limit.'],
  unsupported_encoding: ['upstream_invalid_response', 'The upstream sent an encoded stream.'],
  connection_lost: ['upstream_stream_interrupted', 'The upstream connection failed mid-stream.'],
  empty_stream: ['upstream_stream_interrupted', 'The upstream stream ended before completion.'],
  aborted: ['client_closed_request', 'The client closed the request.'],
};

/**
 * Relays an upstream SSE stream to the client as it arrives: event data passes through as text
 * (only the top-level `model` becomes the alias the client asked for), written once per upstream
 * chunk, the response headers with the first. Each write is a system call, the largest part of a
 * stream's cost: what arrived together leaves together. A slow client pauses the upstream (backpressure) and is cut if it stalls past the stall
 * timeout; a client that leaves cancels the upstream. Every other way the stream can stop short
 * (silence, size, duration, a cut, an error event, data that is not JSON, the end of the shutdown
 * grace) ends it with an OpenAI-shaped error event and no `[DONE]`, so a cut never looks like success.
 */
export function relaySse(events: SseReader, res: ServerResponse, options: RelayOptions): void {
  const modelField = `"model":${JSON.stringify(options.alias)}`;
  const translator = options.translator;
  const outcome: RelayOutcome = { completed: false };
  let done = false;
  let ended = false;
  let stopping: CancelSubscription | undefined = undefined;
  let out = '';
  let stall: NodeJS.Timeout | undefined;

  const finish = (code?: string, message?: string, blame: RelayBlame = 'upstream'): void => {
    if (ended) {
      return;
    }
    ended = true;
    clearTimeout(stall);
    options.stop?.off(stopping);
    res.off('close', onClose);
    if (!events.finished) {
      events.cancel();
    }
    if (code) {
      outcome.failure = { code, blame };
      if (blame !== 'client' && !res.destroyed) {
        if (translator) {
          out += translator.fail(code, message ?? code);
        } else {
          const event = { error: { message, type: 'server_error', param: null, code } };
          out += `data: ${JSON.stringify(event)}\n\n`;
        }
      }
    }
    if (blame === 'client' && !res.destroyed) {
      res.destroy(); // A client that stopped reading is not waited for.
    }
    if (!res.destroyed) {
      if (out.length > 0) {
        res.write(out);
        out = '';
      }
      res.end();
    }
    outcome.completed = done && !code;
    options.onEnd?.(outcome);
  };

  const onClose = (): void => {
    if (!res.writableFinished) {
      finish('client_closed_request', undefined, 'client');
    }
  };
  const onStop = (): void =>
    finish('shutting_down', 'The gateway is shutting down; the stream was cut.', 'gateway');

  const event = (data: string): void => {
    if (done || ended) {
      return;
    }
    if (data === '[DONE]') {
      done = true;
      out += translator ? translator.done() : 'data: [DONE]\n\n';
      return;
    }
    if (translator) {
      translate(translator, data);
      return;
    }
    if (data.charCodeAt(0) !== 0x7b /* { */) {
      finish('upstream_invalid_response', 'The upstream sent an event that is not JSON.');
      return;
    }
    const text = passThrough(data);
    if (text !== undefined) {
      out += `data: ${text}\n\n`;
    }
  };

  /**
   * One chat chunk as the client gets it: the upstream's `model` becomes the alias, a usage chunk
   * or `"usage":null` the gateway asked for is dropped, and what telemetry needs is read. Only an
   * event carrying `error` or a usage object is parsed; every other one is scanned once and
   * spliced. `undefined`: nothing to write (the stream was ended, or the chunk is dropped).
   */
  const passThrough = (data: string): string | undefined => {
    let text = '';
    let copied = 0;
    let renamed = false;
    FIELDS.lastIndex = 0;
    for (let m = FIELDS.exec(data); m !== null; m = FIELDS.exec(data)) {
      const value = FIELDS.lastIndex;
      switch (m[1]) {
        case 'model': {
          const end = renamed ? -1 : jsonStringEnd(data, value);
          if (end > 0) {
            renamed = true;
            text += data.slice(copied, m.index) + modelField;
            copied = end;
            FIELDS.lastIndex = end;
          }
          break;
        }
        case 'error': {
          const parsed = safeParse(data);
          if (parsed && typeof parsed.error === 'object' && parsed.error !== null) {
            finish('upstream_error', 'The upstream reported an error mid-stream.');
            return undefined;
          }
          break;
        }
        case 'usage':
          if (data.charCodeAt(value) === 0x7b /* { */) {
            const parsed = safeParse(data);
            const usage = parsed?.usage as Record<string, unknown> | undefined;
            if (usage) {
              outcome.usage = {
                input: count(usage.prompt_tokens),
                output: count(usage.completion_tokens),
              };
            }
            if (
              options.usageAdded &&
              Array.isArray(parsed?.choices) &&
              parsed.choices.length === 0
            ) {
              return undefined; // The usage chunk the gateway asked for, not the client.
            }
          } else if (options.usageAdded && data.startsWith('null', value)) {
            // `"usage":null` in every chunk, there only because the gateway asked for usage.
            const after = value + 4;
            const comma = data.charCodeAt(m.index - 1) === 0x2c; /* , */
            text += data.slice(copied, comma ? m.index - 1 : m.index);
            copied = !comma && data.charCodeAt(after) === 0x2c ? after + 1 : after;
            FIELDS.lastIndex = copied;
          }
          break;
        case 'finish_reason': {
          // Null in every chunk but the last: nothing to read there.
          const reason =
            data.charCodeAt(value) === 0x22 /* " */
              ? FINISH_REASON.exec(data.slice(value, value + 36))
              : null;
          if (reason) {
            outcome.finishReason = reason[1];
          }
          break;
        }
      }
    }
    return copied === 0 ? data : text + data.slice(copied);
  };

  const translate = (into: SseTranslator, data: string): void => {
    const plain = into.plain?.(data);
    if (plain !== undefined) {
      out += plain;
      return;
    }
    const parsed = data.charCodeAt(0) === 0x7b /* { */ ? safeParse(data) : undefined;
    if (!parsed) {
      finish('upstream_invalid_response', 'The upstream sent an event that is not JSON.');
      return;
    }
    if (typeof parsed.error === 'object' && parsed.error !== null) {
      finish('upstream_error', 'The upstream reported an error mid-stream.');
      return;
    }
    const usage = parsed.usage as Record<string, unknown> | null | undefined;
    if (typeof usage === 'object' && usage !== null) {
      outcome.usage = { input: count(usage.prompt_tokens), output: count(usage.completion_tokens) };
    }
    const choice: unknown = Array.isArray(parsed.choices) ? parsed.choices[0] : undefined;
    const reason = (choice as { finish_reason?: unknown } | undefined)?.finish_reason;
    if (typeof reason === 'string') {
      outcome.finishReason = reason;
    }
    out += into.chunk(parsed);
  };
  const flush = (): void => {
    if (ended || out.length === 0) {
      return;
    }
    outcome.firstWriteAt ??= performance.now();
    const writable = res.write(out);
    out = '';
    if (!writable) {
      events.pause();
      stall = setTimeout(
        () => finish('client_stalled', undefined, 'client'),
        options.stallTimeoutMs,
      );
      res.once('drain', () => {
        clearTimeout(stall);
        events.resume();
      });
    }
  };

  res.once('close', onClose);
  stopping = options.stop?.onCancel(onStop);
  events.attach({
    event,
    flush,
    end: (failure) => {
      flush();
      if (!failure) {
        if (done) {
          finish();
        } else {
          finish('upstream_stream_interrupted', 'The upstream stream ended before completion.');
        }
        return;
      }
      const [code, message] = FAILURES[failure.kind];
      finish(code, message, failure.kind === 'aborted' ? 'client' : 'upstream');
    },
  });
  // The headers went out with the first events, in one write; if those wrote nothing, now.
  if (!res.headersSent && !res.destroyed) {
    res.flushHeaders();
  }
}

function safeParse(data: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(data);
    return typeof value === 'object' && value !== null
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
}
