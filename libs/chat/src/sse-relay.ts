import type { IncomingMessage, ServerResponse } from 'node:http';
import { createParser } from 'eventsource-parser';

const MODEL_FIELD = /"model":"(?:[^"\\]|\\.)*"/;

export interface RelayOptions {
  alias: string;
  idleTimeoutMs: number;
  /** Called when the relay ends: whether the upstream finished with [DONE]. */
  onEnd?: (completed: boolean) => void;
}

/**
 * Relays an upstream SSE stream to the client as it arrives. Event data is passed through as text
 * (only the top-level `model` is set to the alias the client asked for: no JSON re-serialisation).
 * Slow clients pause the upstream (backpressure); a client that leaves aborts it. An upstream that
 * dies, or goes quiet past the idle timeout, ends the stream with an OpenAI-shaped error event and
 * no [DONE], so a cut never looks like success.
 */
export function relaySse(
  upstream: IncomingMessage,
  head: Buffer,
  res: ServerResponse,
  options: RelayOptions,
): void {
  const modelField = `"model":${JSON.stringify(options.alias)}`;
  let done = false;
  let ended = false;
  let idle: NodeJS.Timeout | undefined;

  const finish = (errorCode?: string, message?: string): void => {
    if (ended) {
      return;
    }
    ended = true;
    clearTimeout(idle);
    if (errorCode && !res.writableEnded && !res.destroyed) {
      const event = { error: { message, type: 'server_error', param: null, code: errorCode } };
      res.write(`data: ${JSON.stringify(event)}\n\n`);
    }
    if (!res.writableEnded) {
      res.end();
    }
    upstream.destroy();
    options.onEnd?.(done && !errorCode);
  };
  const armIdle = (): void => {
    clearTimeout(idle);
    idle = setTimeout(
      () =>
        finish(
          'upstream_timeout',
          `The upstream sent nothing for ${options.idleTimeoutMs} ms; the stream was cut.`,
        ),
      options.idleTimeoutMs,
    );
  };

  const parser = createParser({
    onEvent(event) {
      if (done) {
        return;
      }
      if (event.data === '[DONE]') {
        done = true;
        res.write('data: [DONE]\n\n');
        return;
      }
      const data = event.data.replace(MODEL_FIELD, modelField);
      if (!res.write(`data: ${data}\n\n`)) {
        upstream.pause();
        res.once('drain', () => upstream.resume());
      }
    },
  });

  res.on('close', () => {
    if (!ended) {
      // The client left: cancel the upstream call at once.
      ended = true;
      clearTimeout(idle);
      upstream.destroy();
      options.onEnd?.(false);
    }
  });
  upstream.on('data', (chunk: Buffer) => {
    armIdle();
    parser.feed(chunk.toString('utf8'));
  });
  upstream.on('end', () =>
    done
      ? finish()
      : finish('upstream_stream_interrupted', 'The upstream stream ended before completion.'),
  );
  upstream.on('error', () =>
    finish('upstream_stream_interrupted', 'The upstream connection failed mid-stream.'),
  );
  upstream.on('aborted', () =>
    finish('upstream_stream_interrupted', 'The upstream connection failed mid-stream.'),
  );

  armIdle();
  parser.feed(head.toString('utf8'));
  if (upstream.readableEnded) {
    // The whole answer arrived while the router peeked at its first event.
    if (done) {
      finish();
    } else {
      finish('upstream_stream_interrupted', 'The upstream stream ended before completion.');
    }
    return;
  }
  if (upstream.destroyed) {
    finish('upstream_stream_interrupted', 'The upstream connection failed mid-stream.');
    return;
  }
  upstream.resume();
}
