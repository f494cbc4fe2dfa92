import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { planChat, type ChatPlan, type PlanContext } from './chat-plan';
import { FaultState, failsProbes, isMisbehaviour, parseFault, type Misbehaviour } from './fault';
import { renderPromptPng } from './png-image';
import { SimHttpError } from './sim-http.error';
import type { Fault, RecordedRequest, SimFlavor, SimOptions, SimServer } from './sim-types';

const MAX_BODY_BYTES = 64 * 1024 * 1024;
const DEFAULT_CONTEXT_WINDOW = 10_000_000;
const CONTROL_PREFIX = '/_sim/';
const CHAT_PATH = '/v1/chat/completions';
const MODELS_PATH = '/v1/models';

/** Served ids per flavor when `models` is not given (any id is still accepted then). */
const DEFAULT_MODELS: Record<SimFlavor, string[]> = {
  vllm: ['RedHatAI/Llama-4-Scout-17B-16E-Instruct-quantized.w4a16'],
  ollama: [
    'llama4:scout',
    'mistral-small4:latest',
    'qwen3-vl:30b-a3b-thinking',
    'qwen3-vl:30b-a3b-instruct',
    'gemma4:31b',
  ],
  openrouter: [
    'meta-llama/llama-4-scout',
    'mistralai/mistral-small-4',
    'qwen/qwen3-vl-30b-a3b-thinking',
    'qwen/qwen3-vl-30b-a3b-instruct',
    'google/gemma-4-31b-it',
    'openai/gpt-5.5-pro',
    'anthropic/claude-opus-4.7',
    'google/gemini-3.1-pro-preview',
    'x-ai/grok-4.20',
    'google/gemini-3.1-flash-image-preview',
    'openai/gpt-5.4-image-2',
  ],
};

const STATUS_ERRORS: Record<number, [type: string, code: string, message: string]> = {
  400: ['invalid_request_error', 'bad_request', 'Bad request.'],
  401: ['invalid_request_error', 'invalid_api_key', 'Incorrect API key provided.'],
  403: ['invalid_request_error', 'permission_denied', 'You are not allowed to use this model.'],
  404: ['invalid_request_error', 'not_found', 'Not found.'],
  408: ['server_error', 'timeout', 'Request timed out.'],
  429: ['rate_limit_error', 'rate_limit_exceeded', 'Rate limit reached, retry later.'],
  500: ['server_error', 'server_error', 'The server had an error while processing your request.'],
  502: ['server_error', 'bad_gateway', 'Bad gateway.'],
  503: ['server_error', 'service_unavailable', 'The engine is currently overloaded.'],
  504: ['server_error', 'gateway_timeout', 'Gateway timeout.'],
};

const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
};

/** Starts one simulated backend and resolves once it listens. */
export async function startSim(opts: SimOptions): Promise<SimServer> {
  const sim = new Sim(opts);
  await sim.start();
  return sim;
}

function statusBody(status: number): string {
  const [type, code, message] =
    STATUS_ERRORS[status] ??
    (status >= 500
      ? ['server_error', 'server_error', `Upstream error ${status}.`]
      : ['invalid_request_error', 'error', `Request failed with status ${status}.`]);
  return JSON.stringify({ error: { message, type, param: null, code } });
}

function sendJson(
  res: ServerResponse,
  status: number,
  payload: string,
  extra?: Record<string, string>,
): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    ...extra,
  });
  res.end(payload);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new SimHttpError(413, 'Request body too large.', 'request_too_large'));
        req.removeAllListeners('data');
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () =>
      resolve(
        chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8'),
      ),
    );
    req.on('error', reject);
    req.on('close', () => reject(new Error('client went away')));
  });
}

/** Resolves true after `ms`, or false as soon as the client is gone. */
function pause(res: ServerResponse, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const onClose = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      res.off('close', onClose);
      resolve(!res.destroyed);
    }, ms);
    res.once('close', onClose);
  });
}

/** Resolves true on 'drain', false if the client goes away first. */
function drained(res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean): void => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = (): void => done(true);
    const onClose = (): void => done(false);
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}

/** Writes SSE events with backpressure, and destroys the socket after `cutAfter` events. */
class SseWriter {
  private sent = 0;

  constructor(
    private readonly res: ServerResponse,
    private readonly cutAfter: number,
  ) {}

  /** `false` (or a promise of it) once the client is gone or the cut fault fired. */
  send(event: string): boolean | Promise<boolean> {
    const res = this.res;
    if (res.destroyed) {
      return false;
    }
    if (++this.sent === this.cutAfter) {
      res.write(event, () => res.destroy());
      return false;
    }
    return res.write(event) || drained(res);
  }
}

const FIRST_CHUNK =
  'data: {"id":"chatcmpl-sim","object":"chat.completion.chunk","created":1767225600,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}\n\n';

/** Writes `piece` over and over (every `intervalMs`, or as fast as the reader takes it) until the reader leaves. */
async function pump(res: ServerResponse, piece: string | Buffer, intervalMs = 0): Promise<void> {
  while (!res.destroyed) {
    if (!res.write(piece)) {
      if (!(await drained(res))) {
        return;
      }
    } else if (intervalMs > 0) {
      if (!(await pause(res, intervalMs))) {
        return;
      }
    } else {
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

/** The upstream faults that take a gateway down when it trusts its upstreams. */
async function misbehave(
  fault: Misbehaviour,
  req: IncomingMessage,
  res: ServerResponse,
  stream: boolean,
): Promise<void> {
  switch (fault.kind) {
    case 'endless-line':
      res.writeHead(200, SSE_HEADERS);
      res.write(FIRST_CHUNK);
      return pump(res, Buffer.alloc(64 * 1024, 'x'));
    case 'stall':
      res.writeHead(200, stream ? SSE_HEADERS : { 'content-type': 'application/json' });
      res.flushHeaders();
      return; // Nothing more, until the caller gives up.
    case 'drip':
      res.writeHead(200, SSE_HEADERS);
      return pump(res, 'x'.repeat(fault.chunkBytes), fault.intervalMs);
    case 'echo-error': {
      const echoed = `Invalid request from ${String(req.headers.authorization)}: ${JSON.stringify(req.headers)}`;
      sendJson(
        res,
        400,
        JSON.stringify({
          error: { message: echoed, type: 'invalid_request_error', param: null, code: null },
        }),
      );
      return;
    }
    case 'gzip-sse': {
      const body = gzipSync(`${FIRST_CHUNK}data: [DONE]\n\n`);
      res.writeHead(200, { ...SSE_HEADERS, 'content-encoding': 'gzip' });
      res.end(body);
      return;
    }
    case 'endless-json':
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"id":"chatcmpl-sim","object":"chat.completion","choices":[');
      return pump(res, '{"index":0,"message":{"role":"assistant","content":"x"}},'.repeat(1024));
    case 'garbage-sse':
      res.writeHead(200, SSE_HEADERS);
      res.end('\u0000\u0001garbage\nnot-a-field\ndata: <html>oops</html>\n\ndata: [DONE]\n\n');
      return;
    case 'wrong-type':
      if (stream) {
        sendJson(res, 200, '{"id":"chatcmpl-sim","object":"chat.completion","choices":[]}');
      } else {
        res.writeHead(200, SSE_HEADERS);
        res.end(`${FIRST_CHUNK}data: [DONE]\n\n`);
      }
      return;
  }
}

function redact(headers: RecordedRequest['headers']): RecordedRequest['headers'] {
  return headers.authorization === undefined
    ? headers
    : { ...headers, authorization: 'Bearer ***' };
}

function shorten(_key: string, value: unknown): unknown {
  return typeof value === 'string' && value.length > 256
    ? `${value.slice(0, 256)}…(${value.length} chars)`
    : value;
}

class Sim implements SimServer {
  readonly name: string;
  readonly requests: RecordedRequest[] = [];
  private readonly flavor: SimFlavor;
  private readonly host: string;
  private readonly bearer: string | undefined;
  private readonly ttftMs: number;
  private readonly paceMs: number;
  private readonly imageDelayMs: number;
  private readonly maxRecorded: number;
  private readonly ctx: PlanContext;
  private readonly modelsPayload: string;
  private readonly idPrefix = randomBytes(4).toString('hex');
  private readonly faults = new FaultState();
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  private boundPort: number;
  private down = false;
  private closed = false;
  private seq = 0;
  private open = 0;

  constructor(opts: SimOptions) {
    this.name = opts.name;
    this.flavor = opts.flavor ?? 'vllm';
    this.host = opts.host ?? '127.0.0.1';
    this.boundPort = opts.port ?? 0;
    this.bearer = opts.apiKey === undefined ? undefined : `Bearer ${opts.apiKey}`;
    this.ttftMs = opts.ttftMs ?? 0;
    this.paceMs = opts.tokensPerSecond ? 1000 / opts.tokensPerSecond : 0;
    this.imageDelayMs = opts.imageDelayMs ?? 0;
    this.maxRecorded = opts.maxRecorded ?? 10_000;
    this.ctx = {
      name: this.name,
      flavor: this.flavor,
      models: opts.models ? new Set(opts.models) : undefined,
      reasoningTokens: opts.reasoningTokens ?? 120,
      contextWindow: opts.contextWindow ?? DEFAULT_CONTEXT_WINDOW,
      contextWindows: opts.contextWindows,
    };
    const created = Math.floor(Date.now() / 1000);
    const ids = opts.models ?? DEFAULT_MODELS[this.flavor];
    this.modelsPayload = JSON.stringify({
      object: 'list',
      data: ids.map((id) => ({ id, object: 'model', created, owned_by: this.owner(id) })),
    });
  }

  get port(): number {
    return this.boundPort;
  }

  get origin(): string {
    return `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.boundPort}`;
  }

  get url(): string {
    return `${this.origin}/v1`;
  }

  openChats(): number {
    return this.open;
  }

  chatRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.method === 'POST' && r.path === CHAT_PATH);
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  setFault(fault: Fault | null): void {
    this.faults.set(fault);
  }

  setDown(down: boolean): void {
    this.down = down;
    if (down) {
      this.destroySockets();
    }
  }

  async start(): Promise<void> {
    if (this.closed) {
      throw new Error(`sim ${this.name} is closed`);
    }
    if (this.server) {
      return;
    }
    const server = createServer((req, res) => this.onRequest(req, res));
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.boundPort, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (address !== null && typeof address === 'object') {
      this.boundPort = address.port;
    }
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) {
      return;
    }
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    this.destroySockets();
    await closed;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.stop();
  }

  private destroySockets(except?: Socket): void {
    for (const socket of this.sockets) {
      if (socket !== except) {
        socket.destroy();
      }
    }
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    this.route(req, res).catch((err: unknown) => {
      if (res.headersSent || res.destroyed) {
        res.destroy();
        return;
      }
      const e =
        err instanceof SimHttpError
          ? err
          : new SimHttpError(
              500,
              'The server had an error processing your request.',
              'server_error',
              null,
              'server_error',
            );
      sendJson(
        res,
        e.status,
        JSON.stringify(e.envelope()),
        e.status === 413 ? { connection: 'close' } : undefined,
      );
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    let path = q < 0 ? rawUrl : rawUrl.slice(0, q);
    if (path.startsWith(CONTROL_PREFIX)) {
      return this.control(req, res, path, q < 0 ? '' : rawUrl.slice(q + 1));
    }
    if (this.down) {
      req.socket.destroy();
      return;
    }
    if (this.flavor === 'openrouter' && path.startsWith('/api/v1/')) {
      path = path.slice(4);
    }
    if (path === '/health') {
      return this.health(req, res);
    }
    if (!path.startsWith('/v1/')) {
      throw new SimHttpError(404, `No route for ${req.method} ${path}.`, 'not_found');
    }
    const rawBody = await readBody(req);
    let body: unknown = undefined;
    let parsed = rawBody.length > 0;
    if (parsed) {
      try {
        body = JSON.parse(rawBody);
      } catch {
        parsed = false;
      }
    }
    const method = req.method ?? 'GET';
    const entry: RecordedRequest = {
      method,
      path,
      headers: req.headers,
      body,
      rawBody,
      at: Date.now(),
    };
    this.record(entry);
    if (path === CHAT_PATH) {
      if (method !== 'POST') {
        res.setHeader('allow', 'POST');
        throw new SimHttpError(405, `Method ${method} not allowed.`, 'method_not_allowed');
      }
      this.open++;
      res.once('close', () => {
        this.open--;
        entry.closedAt = Date.now();
      });
      return this.chat(req, res, parsed, body);
    }
    if (path === MODELS_PATH && method === 'GET') {
      if (this.probeFault(req, res)) {
        return;
      }
      this.authorize(req);
      sendJson(res, 200, this.modelsPayload);
      return;
    }
    throw new SimHttpError(404, `No route for ${method} ${path}.`, 'not_found');
  }

  private record(entry: RecordedRequest): void {
    if (this.requests.length >= this.maxRecorded) {
      this.requests.splice(0, this.requests.length - Math.floor(this.maxRecorded / 2));
    }
    this.requests.push(entry);
  }

  private health(req: IncomingMessage, res: ServerResponse): void {
    if (this.probeFault(req, res)) {
      return;
    }
    req.resume();
    res.writeHead(200, { 'content-length': '0' });
    res.end();
  }

  /** Applies a probe-failing fault (reset, status >= 500) without consuming its `times`. */
  private probeFault(req: IncomingMessage, res: ServerResponse): boolean {
    const fault = this.faults.peek();
    if (!failsProbes(fault)) {
      return false;
    }
    if (fault.kind === 'reset') {
      req.socket.destroy();
    } else {
      this.sendStatusFault(res, fault);
    }
    return true;
  }

  private sendStatusFault(res: ServerResponse, fault: Extract<Fault, { kind: 'status' }>): void {
    const extra: Record<string, string> =
      fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) };
    if (typeof fault.body === 'string') {
      res.writeHead(fault.status, { 'content-type': 'text/plain; charset=utf-8', ...extra });
      res.end(fault.body);
      return;
    }
    const payload =
      fault.body === undefined ? statusBody(fault.status) : JSON.stringify(fault.body);
    sendJson(res, fault.status, payload, extra);
  }

  private authorize(req: IncomingMessage): void {
    if (this.bearer === undefined || req.headers.authorization === this.bearer) {
      return;
    }
    throw req.headers.authorization === undefined
      ? new SimHttpError(401, "You didn't provide an API key.", 'missing_api_key')
      : new SimHttpError(401, 'Incorrect API key provided.', 'invalid_api_key');
  }

  private async chat(
    req: IncomingMessage,
    res: ServerResponse,
    parsed: boolean,
    body: unknown,
  ): Promise<void> {
    const fault = this.faults.take();
    if (fault?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'slow' && !(await pause(res, fault.delayMs))) {
      return;
    }
    if (fault?.kind === 'status') {
      this.sendStatusFault(res, fault);
      return;
    }
    this.authorize(req);
    if (!parsed) {
      throw new SimHttpError(
        400,
        'We could not parse the JSON body of your request.',
        'invalid_json',
      );
    }
    const plan = planChat(body, this.ctx, this.requests.length);
    if (fault?.kind === 'error-body') {
      this.sendErrorBody(res, plan);
      return;
    }
    if (fault && isMisbehaviour(fault)) {
      return misbehave(fault, req, res, plan.stream);
    }
    const cut = fault?.kind === 'cut' ? fault.afterChunks : -1;
    return plan.stream ? this.streamChat(res, plan, cut) : this.jsonChat(res, plan, cut);
  }

  private nextId(created: number): string {
    const n = ++this.seq;
    return this.flavor === 'openrouter'
      ? `gen-${created}-${this.idPrefix}${n}`
      : `chatcmpl-${this.idPrefix}${n}`;
  }

  private owner(model: string): string {
    if (this.flavor === 'vllm') {
      return 'vllm';
    }
    const slash = model.indexOf('/');
    return this.flavor === 'openrouter' && slash > 0 ? model.slice(0, slash) : 'library';
  }

  /** Where a reasoning model's thinking goes: vLLM's reasoning parser, or the cloud APIs' field. */
  private reasoningField(): 'reasoning_content' | 'reasoning' {
    return this.flavor === 'vllm' ? 'reasoning_content' : 'reasoning';
  }

  private usage(plan: ChatPlan): Record<string, unknown> {
    const usage: Record<string, unknown> = {
      prompt_tokens: plan.promptTokens,
      completion_tokens: plan.completionTokens,
      total_tokens: plan.promptTokens + plan.completionTokens,
    };
    if (plan.reasoningTokens !== undefined) {
      usage.completion_tokens_details = { reasoning_tokens: plan.reasoningTokens };
    }
    return usage;
  }

  /**
   * Waits `thinkMs` (time to first token, or the whole answer's pace), then renders the image of
   * an image model after its own delay. `false` when the client left meanwhile.
   */
  private async prepare(
    res: ServerResponse,
    plan: ChatPlan,
    thinkMs: number,
  ): Promise<unknown[] | false | undefined> {
    if (thinkMs > 0 && !(await pause(res, thinkMs))) {
      return false;
    }
    if (plan.imagePrompt === undefined) {
      return undefined;
    }
    if (this.imageDelayMs > 0 && !(await pause(res, this.imageDelayMs))) {
      return false;
    }
    const url = `data:image/png;base64,${renderPromptPng(plan.imagePrompt).toString('base64')}`;
    return [{ type: 'image_url', image_url: { url } }];
  }

  private async jsonChat(res: ServerResponse, plan: ChatPlan, cut: number): Promise<void> {
    const images = await this.prepare(res, plan, this.ttftMs + this.paceMs * plan.completionTokens);
    if (images === false) {
      return;
    }
    const created = Math.floor(Date.now() / 1000);
    const message: Record<string, unknown> = { role: 'assistant', content: plan.tokens.join('') };
    if (plan.reasoning !== undefined) {
      message[this.reasoningField()] = plan.reasoning;
    }
    if (images) {
      message.images = images;
    }
    if (plan.toolCall) {
      const { id, name, arguments: args } = plan.toolCall;
      message.content = null;
      message.tool_calls = [{ id, type: 'function', function: { name, arguments: args } }];
    }
    const choice: Record<string, unknown> = {
      index: 0,
      message,
      logprobs: null,
      finish_reason: plan.finishReason,
    };
    const completion: Record<string, unknown> = {
      id: this.nextId(created),
      object: 'chat.completion',
      created,
      model: plan.model,
      system_fingerprint: this.name,
      choices: [choice],
      usage: this.usage(plan),
    };
    if (this.flavor === 'vllm') {
      choice.stop_reason = null;
    } else if (this.flavor === 'openrouter') {
      choice.native_finish_reason = plan.finishReason;
      completion.provider = 'Sim';
    }
    const payload = JSON.stringify(completion);
    if (cut >= 0) {
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(payload),
      });
      res.write(payload.slice(0, payload.length >> 1), () => res.destroy());
      return;
    }
    sendJson(res, 200, payload);
  }

  private async streamChat(res: ServerResponse, plan: ChatPlan, cut: number): Promise<void> {
    res.writeHead(200, SSE_HEADERS);
    if (cut === 0) {
      res.write(':\n\n', () => res.destroy());
      return;
    }
    if (this.flavor === 'openrouter') {
      res.write(': OPENROUTER PROCESSING\n\n');
    } else {
      res.flushHeaders();
    }
    const thinkMs = this.ttftMs + this.paceMs * (plan.reasoningTokens ?? 0);
    const images = await this.prepare(res, plan, thinkMs);
    if (images === false) {
      return;
    }
    const created = Math.floor(Date.now() / 1000);
    const id = JSON.stringify(this.nextId(created));
    const model = JSON.stringify(plan.model);
    const fingerprint = JSON.stringify(this.name);
    const top = `"id":${id},"object":"chat.completion.chunk","created":${created},"model":${model},"system_fingerprint":${fingerprint}`;
    const head = `data: {${top},"choices":[{"index":0,"delta":`;
    const open = `},"logprobs":null,"finish_reason":null}]}\n\n`;
    const w = new SseWriter(res, cut);

    let ok = w.send(`${head}{"role":"assistant","content":""${open}`);
    if (ok !== true && !(await ok)) {
      return;
    }
    if (plan.reasoning !== undefined) {
      const reasoning = JSON.stringify(plan.reasoning);
      ok = w.send(`${head}{"${this.reasoningField()}":${reasoning}${open}`);
      if (ok !== true && !(await ok)) {
        return;
      }
    }
    const start = Date.now();
    for (let i = 0; i < plan.tokens.length; i++) {
      if (this.paceMs > 0 && i > 0) {
        const wait = start + i * this.paceMs - Date.now();
        if (wait >= 1 && !(await pause(res, wait))) {
          return;
        }
      }
      ok = w.send(`${head}{"content":${JSON.stringify(plan.tokens[i])}${open}`);
      if (ok !== true && !(await ok)) {
        return;
      }
    }
    if (images) {
      ok = w.send(`${head}{"images":${JSON.stringify(images)}${open}`);
      if (ok !== true && !(await ok)) {
        return;
      }
    }
    for (const delta of toolCallDeltas(plan)) {
      ok = w.send(`${head}{"tool_calls":${JSON.stringify(delta)}${open}`);
      if (ok !== true && !(await ok)) {
        return;
      }
    }
    ok = w.send(`${head}{},"logprobs":null,"finish_reason":"${plan.finishReason}"}]}\n\n`);
    if (ok !== true && !(await ok)) {
      return;
    }
    if (plan.includeUsage) {
      ok = w.send(`data: {${top},"choices":[],"usage":${JSON.stringify(this.usage(plan))}}\n\n`);
      if (ok !== true && !(await ok)) {
        return;
      }
    }
    ok = w.send('data: [DONE]\n\n');
    if (ok !== true && !(await ok)) {
      return;
    }
    res.end();
  }

  /** OpenRouter answers some upstream failures with HTTP 200 and an error object. */
  private sendErrorBody(res: ServerResponse, plan: ChatPlan): void {
    const created = Math.floor(Date.now() / 1000);
    if (!plan.stream) {
      const error = {
        message: 'Provider returned error',
        code: 502,
        metadata: { provider_name: this.name, raw: 'simulated upstream failure' },
      };
      sendJson(res, 200, JSON.stringify({ error, user_id: 'user_sim' }));
      return;
    }
    const chunk = {
      id: this.nextId(created),
      object: 'chat.completion.chunk',
      created,
      model: plan.model,
      error: { code: 'server_error', message: 'Provider returned error' },
      choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error' }],
    };
    res.writeHead(200, SSE_HEADERS);
    res.end(`data: ${JSON.stringify(chunk)}\n\n`);
  }

  private async control(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    query: string,
  ): Promise<void> {
    const raw = await readBody(req);
    const route = `${req.method} ${path}`;
    switch (route) {
      case 'GET /_sim/requests': {
        const last = Math.max(0, Number(new URLSearchParams(query).get('last') ?? 5) || 0);
        const recent = last > 0 ? this.requests.slice(-last) : [];
        const summary = {
          name: this.name,
          count: this.requests.length,
          chat_count: this.chatRequests().length,
          last: recent.map((r) => ({
            method: r.method,
            path: r.path,
            at: r.at,
            headers: redact(r.headers),
            body: r.body,
          })),
        };
        sendJson(res, 200, JSON.stringify(summary, shorten));
        return;
      }
      case 'DELETE /_sim/requests':
        this.clearRequests();
        sendJson(res, 200, JSON.stringify({ count: 0 }));
        return;
      case 'GET /_sim/fault':
        sendJson(res, 200, JSON.stringify({ fault: this.faults.peek() }));
        return;
      case 'POST /_sim/fault': {
        let fault: Fault | null;
        try {
          fault = parseFault(raw.trim().length === 0 ? null : JSON.parse(raw));
        } catch (err) {
          const message =
            err instanceof SyntaxError ? 'fault body is not JSON' : (err as Error).message;
          throw new SimHttpError(400, message, 'invalid_fault', 'fault');
        }
        this.setFault(fault);
        sendJson(res, 200, JSON.stringify({ fault }));
        return;
      }
      case 'POST /_sim/down':
        this.down = true;
        this.destroySockets(req.socket);
        sendJson(res, 200, JSON.stringify({ name: this.name, down: true }));
        return;
      case 'POST /_sim/up':
        this.down = false;
        sendJson(res, 200, JSON.stringify({ name: this.name, down: false }));
        return;
      case 'GET /_sim/state':
        sendJson(
          res,
          200,
          JSON.stringify({
            name: this.name,
            flavor: this.flavor,
            down: this.down,
            fault: this.faults.peek(),
            count: this.requests.length,
            open_chats: this.open,
          }),
        );
        return;
      default:
        throw new SimHttpError(404, `No control route ${route}.`, 'not_found');
    }
  }
}

/** A tool call's `delta.tool_calls` as OpenAI streams it: id and name, then the arguments in two pieces. */
function toolCallDeltas(plan: ChatPlan): Array<Array<Record<string, unknown>>> {
  if (!plan.toolCall) {
    return [];
  }
  const { id, name, arguments: args } = plan.toolCall;
  const half = args.length >> 1;
  return [
    [{ index: 0, id, type: 'function', function: { name, arguments: '' } }],
    [{ index: 0, function: { arguments: args.slice(0, half) } }],
    [{ index: 0, function: { arguments: args.slice(half) } }],
  ];
}
