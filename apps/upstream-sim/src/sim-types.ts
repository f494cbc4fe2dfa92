/** Which provider's dialect of the OpenAI API a simulator instance speaks. */
export type SimFlavor = 'vllm' | 'ollama' | 'openrouter';

/** Options of one simulated backend. Every timing defaults to 0 so tests run at full speed. */
export interface SimOptions {
  /** Instance name, e.g. 'vllm', 'ollama-cloud', 'openrouter'; returned as `system_fingerprint`. */
  name: string;
  /** Provider dialect, default 'vllm'. */
  flavor?: SimFlavor;
  /** Listen address, default '127.0.0.1'. */
  host?: string;
  /** Listen port, default 0 (the OS picks one; `start()` after `stop()` reuses it). */
  port?: number;
  /** When set, `/v1/*` requires `Authorization: Bearer <apiKey>` (401 otherwise). */
  apiKey?: string;
  /** Model ids served; other ids get 404 `model_not_found`. Default: any id is accepted. */
  models?: string[];
  /** Delay before the first token, default 0. */
  ttftMs?: number;
  /** Streaming pace, default 0 = as fast as possible. */
  tokensPerSecond?: number;
  /** Delay before an image answer, default 0. */
  imageDelayMs?: number;
  /** Hidden thinking tokens a reasoning model spends before visible content, default 120. */
  reasoningTokens?: number;
  /** Context window (in rough tokens, chars/4) of every model, default 10,000,000. */
  contextWindow?: number;
  /** Per-model context windows, overriding `contextWindow`. */
  contextWindows?: Record<string, number>;
  /** Oldest recorded requests are dropped beyond this many, default 10,000 (bounded memory). */
  maxRecorded?: number;
}

/** One request that reached a `/v1/*` endpoint, as the simulator received it. */
export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body; `undefined` when the body is empty or not JSON. */
  body: unknown;
  rawBody: string;
  /** `Date.now()` when the body had been read. */
  at: number;
  /** `Date.now()` when the connection of this request's answer closed (absent while it is open). */
  closedAt?: number;
}

/**
 * A misbehaviour to inject. `times` applies it to the next N chat requests then clears it;
 * without `times` it lasts until cleared. `reset` and `status` >= 500 also fail `/health` and
 * `/v1/models` while active (a sick backend fails its probes too) without consuming `times`.
 */
export type Fault =
  | { kind: 'status'; status: number; body?: unknown; retryAfter?: number; times?: number }
  | { kind: 'error-body'; times?: number }
  | { kind: 'slow'; delayMs: number; times?: number }
  | { kind: 'cut'; afterChunks: number; times?: number }
  | { kind: 'reset'; times?: number }
  /** Stream: one valid event, then bytes that never end a line, for as long as the client reads. */
  | { kind: 'endless-line'; times?: number }
  /** Answers 200 with headers (SSE for a stream, JSON otherwise), then nothing: a queued vLLM. */
  | { kind: 'stall'; times?: number }
  /** Stream: before any event, `chunkBytes` bytes without a newline every `intervalMs`, forever. */
  | { kind: 'drip'; chunkBytes: number; intervalMs: number; times?: number }
  /** 400 whose message echoes the request: its Authorization header (our backend key) and body. */
  | { kind: 'echo-error'; times?: number }
  /** The stream answered gzip-compressed (`content-encoding: gzip`), which nobody asked for. */
  | { kind: 'gzip-sse'; times?: number }
  /** JSON: a 200 body that never ends, for as long as the client reads. */
  | { kind: 'endless-json'; times?: number }
  /** Stream: a 200 SSE body of garbage lines (no `data:` field, or data that is not JSON). */
  | { kind: 'garbage-sse'; times?: number }
  /** The other content type than asked for: a JSON completion to a stream request, SSE to a JSON one. */
  | { kind: 'wrong-type'; times?: number };

/** A running simulated backend. */
export interface SimServer {
  readonly name: string;
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  /** `origin + '/v1'`, the OpenAI base URL. */
  readonly url: string;
  readonly port: number;
  /** Every request to `/v1/*`, in arrival order (not `/health`, not `/_sim/*`). */
  readonly requests: RecordedRequest[];
  /** Only the `POST /v1/chat/completions` requests. */
  chatRequests(): RecordedRequest[];
  /** Chat requests whose answer is still open (the caller has not closed, nor the sim ended, it). */
  openChats(): number;
  /** Empties `requests` (in place). */
  clearRequests(): void;
  /** Injects a fault, or clears it with `null`. */
  setFault(fault: Fault | null): void;
  /** While down, every request except `/_sim/*` has its socket destroyed unanswered. */
  setDown(down: boolean): void;
  /** Closes the listener and destroys open sockets: connections are refused afterwards. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  /** Final shutdown. */
  close(): Promise<void>;
}
