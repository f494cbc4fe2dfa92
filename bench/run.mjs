#!/usr/bin/env node
// `npm run bench`: the same requests, interleaved, direct to a simulated backend, through a bare
// Express proxy (the platform's floor) and through the gateway. Prints a table, writes JSON.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import http from 'node:http';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import autocannon from 'autocannon';
import {
  buildIfNeeded,
  cpuMicroseconds,
  freePort,
  GATEWAY_COMMAND,
  NODE_FLAGS,
  processGroup,
  ROOT,
  rssMb,
  SIM_MAIN,
  waitListening,
  waitReady,
} from '../scripts/processes.mjs';

const KEY = 'bench-key-0123456789';
/**
 * The bench key's limits: every per-key limit, far above what the bench sends (none refuses: a
 * run sends about 2 million requests of some 30 tokens). A billion, as a real limit would be, fits
 * V8's small integers; runs 0–15 set the token limits to 10^12, whose every standing is a heap
 * number.
 */
const BENCH_LIMITS = {
  requests_per_minute: 1_000_000_000,
  tokens_per_minute: 1_000_000_000,
  concurrent_requests: 100_000,
  tokens_per_day: 1_000_000_000,
  tokens_per_month: 1_000_000_000,
};
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const DURATION = Number(process.env.BENCH_DURATION_SECONDS ?? 4);
const TTFT_SAMPLES = Number(process.env.BENCH_TTFT_SAMPLES ?? 300);
const C1_SAMPLES = Number(process.env.BENCH_C1_SAMPLES ?? 1000);
const GROWTH_REQUESTS = Number(process.env.BENCH_GROWTH_REQUESTS ?? 100_000);
const BUDGET_MS = 330_000;
/** Also bench the gateway with per-key limits on (in memory, and in Redis when redis-server exists). */
const LIMITS = process.env.BENCH_LIMITS !== '0';
const started = Date.now();

const body = (stream) =>
  JSON.stringify({
    model: 'llama-4-scout',
    stream,
    messages: [{ role: 'user', content: 'Answer in 20 words' }],
  });
const JSON_BODY = body(false);
const STREAM_BODY = body(true);
/** The same request in the Responses API's shape: what its translation costs over chat. */
const responsesBody = (stream) =>
  JSON.stringify({ model: 'llama-4-scout', stream, input: 'Answer in 20 words' });
const RESPONSES_PATH = '/v1/responses';
const RESPONSES_JSON = responsesBody(false);
const RESPONSES_STREAM = responsesBody(true);
const WORDS = Array.from({ length: 20 }, (_, i) => (i === 0 ? 'word' : ' word'));
/** What the simulator answers the bench request: 20 words, as JSON and as chunks (each chunk's `data`). */
const CHAT_ANSWER = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1767225600,
  model: 'llama-4-scout',
  choices: [
    { index: 0, message: { role: 'assistant', content: WORDS.join('') }, finish_reason: 'stop' },
  ],
  usage: { prompt_tokens: 5, completion_tokens: 20, total_tokens: 25 },
};
const CHAT_CHUNKS = [
  ...WORDS.map((w) =>
    JSON.stringify({
      id: 'c',
      object: 'chat.completion.chunk',
      choices: [{ index: 0, delta: { content: w }, finish_reason: null }],
    }),
  ),
  JSON.stringify({
    id: 'c',
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta: {}, finish_reason: 'stop' }],
  }),
  JSON.stringify({
    id: 'c',
    object: 'chat.completion.chunk',
    choices: [],
    usage: CHAT_ANSWER.usage,
  }),
];
/**
 * Hot-path features whose cost is stated against the gateway's per-request time in the same run:
 * each is timed in this process on the bench request (built code from dist/), and reported as a
 * share of the event-loop time one gateway request takes at c64 (1 / its req/s, single-threaded).
 * A feature added to the request path gets a line here.
 */
const distRequire = createRequire(join(ROOT, 'dist/apps/gateway/'));
const require = createRequire(import.meta.url);
function hotPathFeatures() {
  const window = distRequire('./libs/constraints/src/context-window.rule.js');
  const openaiApi = distRequire('./libs/openai-api/src/index.js');
  const request = JSON.parse(JSON_BODY);
  const observed = (level) => telemetryPerRequest(level);
  return {
    // Per request: the record, its request id, the in-flight set, the metrics at the end.
    'telemetry: record + metrics (access log off, LOG_LEVEL=warn)': observed('warn'),
    // The same plus the JSON access line, serialised by pino (to a sink that drops it).
    'telemetry: record + metrics + JSON access line (LOG_LEVEL=log)': observed('log'),
    // The Responses route's own work on top of chat's: validate and translate the request, then
    // turn a 20-word chat answer into a Response object (serialised), or its stream into events.
    'Responses API: request translation + JSON answer': () => {
      const { chat, echo } = openaiApi.responsesToChat(JSON.parse(RESPONSES_JSON));
      return (
        JSON.stringify(openaiApi.chatToResponse(CHAT_ANSWER, 'llama-4-scout', echo)).length +
        chat.messages.length
      );
    },
    'Responses API: request translation + 20-chunk stream': () => {
      const { echo } = openaiApi.responsesToChat(JSON.parse(RESPONSES_STREAM));
      const translator = new openaiApi.ResponsesStreamTranslator('llama-4-scout', echo);
      let out = 0;
      for (const chunk of CHAT_CHUNKS) {
        // As the relay does: a plain text chunk is read from its text, any other one parsed.
        out += (translator.plain(chunk) ?? translator.chunk(JSON.parse(chunk))).length;
      }
      return out + translator.done().length;
    },
    // The chat relay on its own: the upstream's 22 events (one read) framed, scanned and written
    // to the client (a sink that keeps nothing), with the reader's timers and the relay's end.
    'chat SSE relay: frame + pass through a 20-chunk stream': relayPerStream(),
    // Per request, for the bench key: the key's admission before the body, the alias's with the
    // token estimate, six x-ratelimit-* headers on a real ServerResponse, the settlement on close.
    'per-key limits in memory: two admissions + headers + settlement': limitsPerRequest(),
    // Per request: one estimate, then one fit check per hop of the chain (llama-4-scout has three).
    'prompt-size estimate + per-hop context fit': () => {
      const prompt = window.estimatePromptTokens(request);
      const completion = window.requestedCompletion(request);
      let fits = 0;
      for (const size of [65_536, 10_000_000, 10_000_000]) {
        fits += window.fitsContextWindow(size, prompt, completion) ? 1 : 0;
      }
      return fits;
    },
  };
}

/**
 * One request's telemetry, as the gateway runs it (tracing off): the middleware's request id and
 * record, then at the response's close the observer's metrics and access line, for a served
 * llama-4-scout request with usage. The sink stands for stdout.
 */
function telemetryPerRequest(level) {
  const telemetry = distRequire('./libs/telemetry/src/index.js');
  const { loadConfig } = distRequire('./libs/config/src/index.js');
  const config = loadConfig({ GATEWAY_API_KEYS: KEY, LOG_LEVEL: level });
  const status = {
    statusOf: () => 'available',
    onTransition: () => undefined,
  };
  const metrics = new telemetry.GatewayMetrics(config, status);
  const tracing = new telemetry.TracingService(config);
  const sink = { write: () => undefined };
  const observer = new telemetry.RequestObserver(
    metrics,
    tracing,
    telemetry.createLogger(level, sink),
  );
  const req = {
    method: 'POST',
    url: '/v1/chat/completions',
    headers: {},
    principal: { keyName: 'key-1' },
  };
  const res = { writableFinished: true, statusCode: 200 };
  return () => {
    const record = telemetry.newRequestRecord(telemetry.requestIdFor(undefined), 'chat');
    observer.begin(record, req);
    record.alias = 'llama-4-scout';
    record.stream = false;
    record.attempts.push({ backend: 'vllm', model: 'm', outcome: 'served', ms: 3.2, startedAt: 1 });
    record.backend = 'vllm';
    record.member = 'llama-4-scout';
    record.usage = { input: 12, output: 20 };
    record.finishReason = 'stop';
    record.ttftMs = 2.5;
    observer.end(record, req, res);
    return record.status;
  };
}

/**
 * One relayed stream as the gateway runs it once the first event is in: an SseReader over an
 * upstream response that delivers the simulator's bytes in one chunk, relayed to a client that
 * takes every write. The fakes emit their events inline; the call is awaited, so the reader's
 * promise reactions run between streams as they do in the gateway (run back to back in one
 * synchronous loop, they would keep every reader alive and time the garbage collector instead).
 */
function relayPerStream() {
  const routing = distRequire('./libs/routing/src/index.js');
  const chat = distRequire('./libs/chat/src/index.js');
  const bytes = Buffer.from(
    [
      ...CHAT_CHUNKS.map((c) => `data: ${c.replace('"id":"c",', '"id":"c","model":"m",')}`),
      'data: [DONE]',
    ].join('\n\n') + '\n\n',
  );
  const limits = { maxBytes: 1 << 24, idleMs: 60_000, deadline: Date.now() + 3_600_000 };
  class Upstream extends EventEmitter {
    headers = {};
    pause() {}
    resume() {}
    destroy() {}
  }
  class Client extends EventEmitter {
    destroyed = false;
    writableFinished = false;
    headersSent = false;
    n = 0;
    setHeader() {}
    flushHeaders() {}
    destroy() {}
    write(text) {
      this.n += text.length;
      return true;
    }
    end(text) {
      this.n += text?.length ?? 0;
      this.writableFinished = true;
    }
  }
  return () => {
    const upstream = new Upstream();
    const events = new routing.SseReader(upstream, limits, new routing.Cancellation());
    upstream.emit('data', bytes);
    upstream.emit('end');
    const client = new Client();
    chat.relaySse(events, client, {
      alias: 'llama-4-scout',
      stallTimeoutMs: 60_000,
      usageAdded: true,
    });
    return Promise.resolve(client.n);
  };
}

/**
 * The limits of the bench key as the gateway runs them in memory (no Redis), on a response that
 * closes at once: the settlement, which waits for the other close listeners with a tick, is
 * awaited, so nothing piles up between calls.
 */
function limitsPerRequest() {
  const { LimitsService } = distRequire('./libs/limits/src/index.js');
  const { MemoryLimitStore } = distRequire('./libs/store/src/index.js');
  const service = new LimitsService(new MemoryLimitStore(), { limits: { groups: {} } });
  const principal = { keyName: 'bench', limits: BENCH_LIMITS };
  const request = JSON.parse(JSON_BODY);
  const socket = new EventEmitter();
  const settled = () => new Promise((resolve) => process.nextTick(resolve));
  return async () => {
    const req = new http.IncomingMessage(socket);
    const { prompt_tokens: input, completion_tokens: output } = CHAT_ANSWER.usage;
    req.record = { usage: { input, output } };
    const res = new http.ServerResponse(req);
    // As the pipeline does: a promise only while a shared store answers.
    const key = service.admitKey(principal, res);
    if (key) {
      await key;
    }
    const model = service.admitModel(principal, 'llama-4-scout', request, res);
    if (model) {
      await model;
    }
    res.emit('close');
    await settled();
    return res.getHeader('x-ratelimit-remaining-tokens').length;
  };
}

/**
 * Mean microseconds per call, after a warm-up, over at least half a second. A feature that returns
 * a promise is awaited call by call; a synchronous one runs in a plain loop.
 */
async function microseconds(fn) {
  let sink = 0;
  const asynchronous = fn() instanceof Promise;
  const run = asynchronous
    ? async (times) => {
        for (let i = 0; i < times; i++) {
          sink += Number(await fn()) || 0;
        }
      }
    : (times) => {
        for (let i = 0; i < times; i++) {
          sink += Number(fn()) || 0;
        }
      };
  await run(100_000);
  let n = 0;
  const t0 = process.hrtime.bigint();
  let elapsed = 0n;
  while (elapsed < 500_000_000n) {
    await run(10_000);
    n += 10_000;
    elapsed = process.hrtime.bigint() - t0;
  }
  return sink >= 0 ? Number(elapsed) / 1000 / n : NaN;
}
const HEADERS = { 'content-type': 'application/json', authorization: `Bearer ${KEY}` };

const cores = availableParallelism();
const pin = cores >= 2 && spawnSync('taskset', ['-V']).status === 0;
const children = processGroup({ label: 'bench' });
/** The process serving each target whose CPU time is read (the direct target's shares a core with the load). */
const servers = {};

/** Starts `args`, pinned to core `cpu` when pinning is on. */
function launch(name, args, env, cpu) {
  return children.launch(
    name,
    pin && cpu !== undefined ? ['taskset', '-c', String(cpu), ...args] : args,
    env,
  );
}
process.on('SIGINT', () => {
  void children.stop();
  process.exit(130);
});

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/** One request; resolves with ms to the first body byte containing `data:` (or any byte) and to the end. */
function timedRequest(base, payload, sse) {
  return new Promise((res, rej) => {
    const url = new URL('/v1/chat/completions', base);
    const t0 = process.hrtime.bigint();
    let first;
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: HEADERS,
        agent,
      },
      (r) => {
        let seen = '';
        r.on('data', (c) => {
          if (first === undefined) {
            seen += c.toString('latin1');
            if (!sse || seen.includes('data:')) {
              first = process.hrtime.bigint();
            }
          }
        });
        r.on('end', () => {
          const t1 = process.hrtime.bigint();
          if (r.statusCode !== 200 || (sse && !seen.includes('data:'))) {
            res({ error: `HTTP ${r.statusCode}` });
            return;
          }
          res({ first: Number((first ?? t1) - t0) / 1e6, total: Number(t1 - t0) / 1e6 });
        });
      },
    );
    req.on('error', rej);
    req.end(payload);
  });
}

function pct(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function summary(values) {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) {
    return { p50: NaN, p99: NaN, n: 0 };
  }
  return { p50: pct(s, 50), p99: pct(s, 99), n: s.length };
}

/**
 * `seconds` runs from the start to the last response. autocannon notices the end of an `amount`
 * run only on its next one-second tick, so its own timing (and the callback's) is whole seconds.
 */
function cannon(url, { connections, payload, amount, path = '/v1/chat/completions' }) {
  const t0 = process.hrtime.bigint();
  let last = t0;
  return new Promise((res, rej) => {
    const run = autocannon(
      {
        url: `${url}${path}`,
        method: 'POST',
        headers: HEADERS,
        body: payload,
        connections,
        amount,
      },
      (err, r) => (err ? rej(err) : res({ ...r, seconds: Number(last - t0) / 1e9 })),
    );
    run.on('response', () => {
      last = process.hrtime.bigint();
    });
  });
}

/** Every benched gateway's env: the simulator as vLLM, no cloud backend, quiet logs, quick stop. */
function gatewayEnv(port, simUrl, extra) {
  return {
    PORT: String(port),
    HOST: '127.0.0.1',
    BACKEND_VLLM_URL: `${simUrl}/v1`,
    BACKEND_OLLAMA_CLOUD_API_KEY: '',
    BACKEND_OPENROUTER_API_KEY: '',
    OLLAMA_API_KEY: '',
    OPENROUTER_API_KEY: '',
    LOG_LEVEL: 'warn',
    SHUTDOWN_DELAY_SECONDS: '0',
    SHUTDOWN_GRACE_SECONDS: '5',
    ...extra,
  };
}

/**
 * The bench key with every per-key limit set far above what the bench sends, so each request runs
 * every check (request and token buckets, a concurrency slot, day and month budgets, settlement)
 * and none refuses: one gateway with the limits in memory, one with them in Redis.
 */
async function launchLimitedGateways(simUrl) {
  const keysFile = join(mkdtempSync(join(tmpdir(), 'bench-keys-')), 'keys.yaml');
  writeFileSync(
    keysFile,
    `keys:\n  - name: bench\n    key: ${KEY}\n    limits: ${JSON.stringify(BENCH_LIMITS)}\n`,
  );
  const env = (port, extra = {}) =>
    gatewayEnv(port, simUrl, { METRICS_PORT: '0', GATEWAY_API_KEYS_FILE: keysFile, ...extra });
  const targets = {};
  const memoryPort = await freePort();
  servers['gateway+limits'] = launch('gateway+limits', GATEWAY_COMMAND, env(memoryPort), 0).pid;
  targets['gateway+limits'] = `http://127.0.0.1:${memoryPort}`;
  if (spawnSync('redis-server', ['--version']).status === 0) {
    const redisPort = await freePort();
    launch(
      'redis-server',
      [
        'redis-server',
        '--port',
        String(redisPort),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
      ],
      {},
      1,
    );
    await waitListening(redisPort);
    const redisGwPort = await freePort();
    servers['gateway+limits+redis'] = launch(
      'gateway+limits+redis',
      GATEWAY_COMMAND,
      env(redisGwPort, { REDIS_URL: `redis://127.0.0.1:${redisPort}` }),
      0,
    ).pid;
    targets['gateway+limits+redis'] = `http://127.0.0.1:${redisGwPort}`;
  }
  for (const url of Object.values(targets)) {
    await waitReady(`${url}/readyz`);
  }
  return targets;
}

/**
 * The median of a target's rounds: a round disturbed by something outside the process (another
 * tenant of the machine, a major GC on the one pinned core) moves a mean by several per cent;
 * the interleaved rounds are there so that such a round can be outvoted.
 */
function median(xs) {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function main() {
  buildIfNeeded();
  if (pin) {
    spawnSync('taskset', ['-cp', '1', String(process.pid)], { stdio: 'ignore' });
  }
  const [simPort, proxyPort, gwPort, metricsPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  launch(
    'upstream-sim',
    ['node', SIM_MAIN],
    {
      SIM_INSTANCES: `vllm:vllm:${simPort}`,
      SIM_TTFT_MS: '0',
      SIM_TOKENS_PER_SECOND: '0',
    },
    1,
  );
  const simUrl = `http://127.0.0.1:${simPort}`;
  await waitReady(`${simUrl}/health`);
  servers.express = launch(
    'express-proxy',
    // The floor runs on the same Node with the same flags: the ratio compares code, not flags.
    [process.execPath, ...NODE_FLAGS, join(ROOT, 'bench/express-proxy.mjs')],
    {
      PORT: String(proxyPort),
      PROXY_TARGET: simUrl,
    },
    0,
  ).pid;
  const gateway = launch(
    'gateway',
    GATEWAY_COMMAND,
    gatewayEnv(gwPort, simUrl, { METRICS_PORT: String(metricsPort), GATEWAY_API_KEYS: KEY }),
    0,
  );
  servers.gateway = gateway.pid;
  const targets = {
    direct: simUrl,
    express: `http://127.0.0.1:${proxyPort}`,
    gateway: `http://127.0.0.1:${gwPort}`,
  };
  if (LIMITS) {
    Object.assign(targets, await launchLimitedGateways(simUrl));
  }
  await waitReady(`${targets.express}/health`);
  await waitReady(`${targets.gateway}/readyz`);
  for (const [name, url] of Object.entries(targets)) {
    const check = await timedRequest(url, JSON_BODY, false).catch((e) => e);
    if (check instanceof Error || check.error) {
      throw new Error(`${name} does not answer the bench request: ${check.message ?? check.error}`);
    }
  }
  const rssBoot = rssMb(gateway.pid);
  console.log(
    `bench: ${cores} cores, ${pin ? 'gateway+express pinned to core 0, load generator+simulator to core 1' : 'no pinning'}; ${ROUNDS} rounds x ${DURATION}s per case and target, the median round reported; ratios taken within each round, their median reported`,
  );

  const cases = {
    'json c1': { connections: 1, payload: JSON_BODY },
    'json c64': { connections: 64, payload: JSON_BODY },
    'stream20 c64': { connections: 64, payload: STREAM_BODY },
    // Only the gateway speaks the Responses API: compared with its own chat run of the same moment.
    'responses json c64': {
      connections: 64,
      payload: responsesBody(false),
      path: RESPONSES_PATH,
      chat: 'json c64',
    },
    'responses stream20 c64': {
      connections: 64,
      payload: responsesBody(true),
      path: RESPONSES_PATH,
      chat: 'stream20 c64',
    },
  };
  /**
   * A case's runs as [label, url, case]. A Responses case runs the gateway twice back to back, its
   * Responses request and the same request as chat (`gateway chat`), so its cost is read against a
   * chat run of the same moment, not one made a minute earlier.
   */
  const targetsOf = (c) =>
    c.chat
      ? [
          ['gateway', targets.gateway, c],
          ['gateway chat', targets.gateway, cases[c.chat]],
        ]
      : Object.entries(targets).map(([t, url]) => [t, url, c]);
  // Runs are sized in requests, not seconds: stopping on a timer aborts requests in flight, which
  // a gateway rightly counts against its backend. The warm-up (JIT, keep-alive pools) sizes them.
  const amounts = {};
  for (const [caseName, c] of Object.entries(cases)) {
    for (const [t, url, run] of targetsOf(c)) {
      const w = await cannon(url, { ...run, amount: Math.max(500, c.connections * 30) });
      const rate = w.requests.total / w.seconds || 100;
      (amounts[caseName] ??= {})[t] = Math.max(c.connections * 10, Math.round(rate * DURATION));
    }
  }
  const rssBefore = rssMb(gateway.pid);

  const raw = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [caseName, c] of Object.entries(cases)) {
      // Each round starts one target further along, so no target always runs right after the
      // same one (its pools idle, its heap just grown) in every round.
      const order = targetsOf(c);
      const turn = round % order.length;
      for (const [t, url, run] of [...order.slice(turn), ...order.slice(0, turn)]) {
        const pid = servers[t === 'gateway chat' ? 'gateway' : t];
        const cpuBefore = cpuMicroseconds(pid);
        const r = await cannon(url, { ...run, amount: amounts[caseName][t] });
        const errors = r.errors + r.timeouts + r.non2xx;
        ((raw[caseName] ??= {})[t] ??= []).push({
          rps: r.requests.total / r.seconds,
          // The serving process's own CPU time per request (its core is shared with the others,
          // idle meanwhile): what the machine's drift moves least.
          cpuUs: (cpuMicroseconds(pid) - cpuBefore) / r.requests.total,
          p50: r.latency.p50,
          p99: r.latency.p99,
          errors,
        });
      }
    }
    process.stdout.write(`bench: round ${round + 1}/${ROUNDS} done\n`);
  }

  // Precise single-connection latency and TTFT (autocannon's histogram is whole milliseconds).
  const precise = { c1: {}, ttft: {} };
  for (const [kind, payload, sse, n] of [
    ['c1', JSON_BODY, false, C1_SAMPLES],
    ['ttft', STREAM_BODY, true, TTFT_SAMPLES],
  ]) {
    const samples = Object.fromEntries(Object.keys(targets).map((t) => [t, []]));
    const failed = Object.fromEntries(Object.keys(targets).map((t) => [t, 0]));
    for (let i = 0; i < n; i++) {
      for (const [t, url] of Object.entries(targets)) {
        const r = await timedRequest(url, payload, sse).catch(() => ({ error: 'network' }));
        if (r.error) {
          failed[t]++;
        } else {
          samples[t].push(kind === 'ttft' ? r.first : r.total);
        }
      }
    }
    for (const t of Object.keys(targets)) {
      precise[kind][t] = { ...summary(samples[t]), errors: failed[t] };
    }
  }
  const rssAfter = rssMb(gateway.pid);

  // RSS growth across many requests, as many as the 5-minute budget allows.
  const gwRps = median(raw['json c64'].gateway.map((r) => r.rps)) || 100;
  const left = BUDGET_MS - (Date.now() - started) - 10_000;
  const growthRequests = Math.max(
    1000,
    Math.min(GROWTH_REQUESTS, Math.floor((gwRps * left) / 1000)),
  );
  const rssGrowthStart = rssMb(gateway.pid);
  const g = await cannon(targets.gateway, {
    connections: 64,
    payload: JSON_BODY,
    amount: growthRequests,
  });
  await new Promise((r) => setTimeout(r, 1000));
  const rssGrowthEnd = rssMb(gateway.pid);

  const gatewayUsPerRequest = 1e6 / gwRps;
  const features = {};
  for (const [name, fn] of Object.entries(hotPathFeatures())) {
    const us = await microseconds(fn);
    features[name] = { us, percentOfRequest: (100 * us) / gatewayUsPerRequest };
  }
  const agg = {};
  for (const [caseName, byTarget] of Object.entries(raw)) {
    agg[caseName] = {};
    for (const [t, rs] of Object.entries(byTarget)) {
      agg[caseName][t] = {
        rps: median(rs.map((r) => r.rps)),
        cpuUs: median(rs.map((r) => r.cpuUs)),
        p50: median(rs.map((r) => r.p50)),
        p99: median(rs.map((r) => r.p99)),
        errors: rs.reduce((a, r) => a + r.errors, 0),
      };
    }
  }
  // A ratio is taken within each round (the two runs seconds apart), then the median of the
  // rounds': this VM's speed drifts by 20–50 % over minutes, for every target alike, which a
  // ratio of two medians taken from different rounds would read as a difference between them.
  const pairedRatio = (caseName, t, base) =>
    median(raw[caseName][t].map((r, i) => r.rps / raw[caseName][base][i].rps));
  // The same reading from CPU time: the floor's CPU per request over the target's, per round.
  const cpuRatio = (caseName, t, base) =>
    median(raw[caseName][t].map((r, i) => raw[caseName][base][i].cpuUs / r.cpuUs));
  /** A ratio of each gateway target against the floor, per case that has the floor. */
  const vsExpress = (ratio) =>
    Object.fromEntries(
      Object.entries(agg)
        .filter(([, byTarget]) => byTarget.express)
        .map(([caseName, byTarget]) => [
          caseName,
          Object.fromEntries(
            Object.keys(byTarget)
              .filter((t) => t.startsWith('gateway'))
              .map((t) => [t, ratio(caseName, t, 'express')]),
          ),
        ]),
    );

  const f = (n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '-');
  const sf = (n, d) => (Number.isFinite(n) && n >= 0 ? `+${f(n, d)}` : f(n, d));
  const rows = [];
  for (const [caseName, byTarget] of Object.entries(agg)) {
    for (const t of Object.keys(byTarget)) {
      const a = byTarget[t];
      const d = byTarget.direct;
      rows.push([
        caseName,
        t,
        f(a.rps, 0),
        f(a.cpuUs, 0),
        f(a.p50, 0),
        f(a.p99, 0),
        t === 'direct' || !d ? '' : sf(a.p50 - d.p50, 0),
        t.startsWith('gateway') && byTarget.express
          ? `${f(100 * pairedRatio(caseName, t, 'express'), 0)} %`
          : '',
        t.startsWith('gateway') && byTarget.express
          ? `${f(100 * cpuRatio(caseName, t, 'express'), 0)} %`
          : '',
        String(a.errors),
      ]);
    }
  }
  // The Responses translation's cost: the gateway's chat req/s over its Responses req/s, same run.
  const translation = Object.entries(cases)
    .filter(([, c]) => c.chat)
    .map(([caseName]) => {
      const chat = agg[caseName]['gateway chat'].rps;
      const responses = agg[caseName].gateway.rps;
      const costPercent = 100 * (1 / pairedRatio(caseName, 'gateway', 'gateway chat') - 1);
      return { caseName, chat, responses, costPercent };
    });
  for (const [kind, label] of [
    ['c1', 'json c1 (precise)'],
    ['ttft', 'TTFT stream'],
  ]) {
    for (const t of Object.keys(targets)) {
      const a = precise[kind][t];
      const d = precise[kind].direct;
      rows.push([
        label,
        t,
        '',
        '',
        f(a.p50, 2),
        f(a.p99, 2),
        t === 'direct' ? '' : `${sf(a.p50 - d.p50, 2)} / ${sf(a.p99 - d.p99, 2)}`,
        '',
        '',
        String(a.errors),
      ]);
    }
  }
  const head = [
    'case',
    'target',
    'req/s',
    'CPU µs/req',
    'p50 ms',
    'p99 ms',
    'added p50 (/p99) ms',
    'gw/express (per round)',
    'by CPU time',
    'errors',
  ];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  const table = [
    line(head),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.map(line),
  ];
  const rss = [
    `gateway RSS: ${f(rssBoot)} MB at boot, ${f(rssBefore)} MB after warm-up, ${f(rssAfter)} MB after the rounds`,
    `RSS growth check: ${growthRequests} requests at c64 (${g.errors + g.timeouts + g.non2xx} errors): ${f(rssGrowthStart)} -> ${f(rssGrowthEnd)} MB (${rssGrowthEnd - rssGrowthStart >= 0 ? '+' : ''}${f(rssGrowthEnd - rssGrowthStart)} MB)`,
  ];
  const featureLines = Object.entries(features).map(
    ([name, c]) =>
      `hot-path cost: ${name}: ${f(c.us, 3)} µs per request = ${f(c.percentOfRequest, 2)} % of a gateway request (${f(gatewayUsPerRequest, 0)} µs at json c64)`,
  );
  console.log(
    [
      '',
      ...table,
      '',
      ...rss,
      ...featureLines,
      ...translation.map(
        (x) =>
          `Responses API translation: ${x.caseName}: ${f(x.responses, 0)} req/s vs chat ${f(x.chat, 0)} req/s run back to back = ${sf(x.costPercent, 1)} % time per request, median of the rounds (target <= +15 %)`,
      ),
      `total ${f((Date.now() - started) / 1000, 0)} s`,
    ].join('\n'),
  );

  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(
    join(ROOT, 'bench/results/latest.json'),
    JSON.stringify(
      {
        at: new Date().toISOString(),
        node: process.version,
        cores,
        pinned: pin,
        rounds: ROUNDS,
        durationSeconds: DURATION,
        cases: agg,
        ratioVsExpress: vsExpress(pairedRatio),
        cpuRatioVsExpress: vsExpress(cpuRatio),
        raw,
        precise,
        rssMb: {
          boot: rssBoot,
          afterWarmup: rssBefore,
          afterRounds: rssAfter,
          growthStart: rssGrowthStart,
          growthEnd: rssGrowthEnd,
        },
        growthRequests,
        hotPathFeatures: features,
        responsesTranslation: translation,
      },
      null,
      2,
    ),
  );
  console.log('results written to bench/results/latest.json');
  await children.stop();
  process.exit(0);
}

main().catch((err) => {
  console.error(`bench: ${err.message}`);
  void children.stop();
  process.exit(1);
});
