#!/usr/bin/env node
// `npm run soak`: tens of thousands of mixed requests (JSON and streams, several aliases) through the
// built gateway while the simulated backends switch faults on and off every few seconds. Every
// request must end, in bounded time, as a success, a clean OpenAI error envelope, or a stream
// ending in an error event: nothing hung, nothing lost. At the end no upstream call may still be
// open at any backend, and the gateway's RSS growth is reported. Not part of `npm test` (minutes).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildIfNeeded,
  freePort,
  GATEWAY_COMMAND,
  processGroup,
  ROOT,
  rssMb,
  SIM_MAIN,
  waitReady,
} from './processes.mjs';

const KEY = 'soak-key-0123456789';
const TOTAL = Number(process.env.SOAK_REQUESTS ?? 50_000);
const CONCURRENCY = Number(process.env.SOAK_CONCURRENCY ?? 48);
const FAULT_PERIOD_MS = Number(process.env.SOAK_FAULT_PERIOD_MS ?? 2_000);
/** A request still unanswered after this long is counted as hung (every gateway budget is far below). */
const HUNG_MS = 30_000;

/** The faults the simulator plays; `null` is a healthy period. */
const FAULTS = [
  null,
  null,
  { kind: 'stall' },
  { kind: 'drip', chunkBytes: 64, intervalMs: 1 },
  { kind: 'endless-line' },
  { kind: 'endless-json' },
  { kind: 'error-body' },
  { kind: 'gzip-sse' },
  { kind: 'garbage-sse' },
  { kind: 'wrong-type' },
  { kind: 'echo-error' },
  { kind: 'cut', afterChunks: 3 },
  { kind: 'reset' },
  { kind: 'status', status: 503 },
  { kind: 'status', status: 429, retryAfter: 1 },
  { kind: 'slow', delayMs: 1500 },
];

const WORKLOAD = [
  { model: 'llama-4-scout', stream: false },
  { model: 'llama-4-scout', stream: true },
  { model: 'qwen3-vl-30b-instruct', stream: true },
  { model: 'gpt-5.5-pro', stream: false, max_tokens: 50 },
  { model: 'grok-4.20', stream: true },
];

const children = processGroup({ label: 'soak' });

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

/** One request; resolves with its outcome class. */
function request(base, spec) {
  return new Promise((resolve) => {
    const body = JSON.stringify({
      ...spec,
      messages: [{ role: 'user', content: 'Answer in 12 words' }],
    });
    const started = Date.now();
    const req = http.request(
      new URL('/v1/chat/completions', base),
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${KEY}`,
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('error', () => finish('lost'));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          finish(classify(res.statusCode, res.headers['content-type'] ?? '', text, spec.stream));
        });
      },
    );
    const timer = setTimeout(() => {
      finish('hung');
      req.destroy();
    }, HUNG_MS);
    let done = false;
    function finish(outcome) {
      if (!done) {
        done = true;
        clearTimeout(timer);
        resolve({ outcome, ms: Date.now() - started });
      }
    }
    req.on('error', () => finish('lost'));
    req.end(body);
  });
}

const codes = {};
const tally = (code) => (codes[code] = (codes[code] ?? 0) + 1);

/** ok | error_envelope | stream_error_event | lost; error codes are tallied by `status code`. */
function classify(status, type, text, stream) {
  if (status === 200 && stream && type.startsWith('text/event-stream')) {
    const events = text
      .split('\n\n')
      .map((b) => /^data: ?(.*)$/m.exec(b)?.[1])
      .filter((d) => d !== undefined);
    if (events.at(-1) === '[DONE]') {
      return 'ok';
    }
    const last = events.at(-1);
    try {
      const code = JSON.parse(last).error?.code;
      tally(`stream ${code}`);
      return code ? 'stream_error_event' : 'lost';
    } catch {
      return 'lost';
    }
  }
  try {
    const body = JSON.parse(text);
    if (status === 200 && !stream && Array.isArray(body.choices)) {
      return 'ok';
    }
    const e = body.error;
    tally(`${status} ${e?.code}`);
    return status >= 400 && e && typeof e.code === 'string' && typeof e.message === 'string'
      ? 'error_envelope'
      : 'lost';
  } catch {
    return 'lost';
  }
}

async function setFault(sim, fault) {
  await fetch(`${sim}/_sim/fault`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(fault),
  });
}

async function main() {
  buildIfNeeded();
  const [port, vllm, ollama, openrouter] = await Promise.all([0, 1, 2, 3].map(freePort));
  const sims = { vllm, 'ollama-cloud': ollama, openrouter };
  children.launch('sims', [process.execPath, SIM_MAIN], {
    SIM_INSTANCES: `vllm:vllm:${vllm},ollama-cloud:ollama:${ollama}:ok-0123456789abcdef,openrouter:openrouter:${openrouter}:or-0123456789abcdef`,
    SIM_HOST: '127.0.0.1',
    SIM_TTFT_MS: '5',
    SIM_TOKENS_PER_SECOND: '2000',
  });
  const simUrl = (name) => `http://127.0.0.1:${sims[name]}`;
  for (const name of Object.keys(sims)) {
    await waitReady(`${simUrl(name)}/_sim/state`);
  }
  // The default catalog with budgets short enough that faults resolve in seconds.
  const config = readFileSync(join(ROOT, 'config/gateway.yaml'), 'utf8')
    .replace(/headers_timeout_factor: \d+/, 'headers_timeout_factor: 1')
    .replace(/headers_timeout_min_ms: \d+/, 'headers_timeout_min_ms: 2000')
    .replace(/stream_idle_timeout_ms: \d+/, 'stream_idle_timeout_ms: 2000')
    .replace(/cooldown_seconds: \d+/, 'cooldown_seconds: 2')
    .replace(/upstream_max_body_bytes: \d+/, 'upstream_max_body_bytes: 4194304')
    .replace(/stream_max_event_bytes: \d+/, 'stream_max_event_bytes: 1048576');
  const configFile = join(mkdtempSync(join(tmpdir(), 'soak-')), 'gateway.yaml');
  writeFileSync(configFile, config);
  const gateway = children.launch('gateway', GATEWAY_COMMAND, {
    GATEWAY_CONFIG: configFile,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'error',
    GATEWAY_API_KEYS: KEY,
    BACKEND_VLLM_URL: `${simUrl('vllm')}/v1`,
    BACKEND_OLLAMA_CLOUD_URL: `${simUrl('ollama-cloud')}/v1`,
    BACKEND_OLLAMA_CLOUD_API_KEY: 'ok-0123456789abcdef',
    BACKEND_OPENROUTER_URL: `${simUrl('openrouter')}/v1`,
    BACKEND_OPENROUTER_API_KEY: 'or-0123456789abcdef',
    BACKEND_HEALTH_INTERVAL_SECONDS: '2',
  });
  const base = `http://127.0.0.1:${port}`;
  await waitReady(`${base}/readyz`);

  // Warm up, then take the baseline RSS.
  await Promise.all(
    Array.from({ length: 200 }, (_, i) => request(base, WORKLOAD[i % WORKLOAD.length])),
  );
  const rssStart = rssMb(gateway.pid);
  let rssPeak = rssStart;

  const counts = { ok: 0, error_envelope: 0, stream_error_event: 0, lost: 0, hung: 0 };
  let slowest = 0;
  let sent = 0;
  let faultsPlayed = 0;
  const startedAt = Date.now();
  let rotating = true;
  const rotation = (async () => {
    let i = 0;
    while (rotating) {
      // Faults on vLLM and, less often, on a cloud backend too; a healthy period between.
      const fault = FAULTS[i++ % FAULTS.length];
      await setFault(simUrl('vllm'), fault);
      await setFault(simUrl('ollama-cloud'), i % 5 === 0 ? FAULTS[(i * 7) % FAULTS.length] : null);
      await setFault(simUrl('openrouter'), i % 7 === 0 ? FAULTS[(i * 5) % FAULTS.length] : null);
      faultsPlayed++;
      rssPeak = Math.max(rssPeak, rssMb(gateway.pid));
      await new Promise((r) => setTimeout(r, FAULT_PERIOD_MS));
    }
  })();
  const worker = async () => {
    while (sent < TOTAL) {
      const spec = WORKLOAD[sent++ % WORKLOAD.length];
      const { outcome, ms } = await request(base, spec);
      counts[outcome]++;
      slowest = Math.max(slowest, ms);
    }
  };
  const progress = setInterval(() => {
    const done = Object.values(counts).reduce((a, b) => a + b, 0);
    console.error(
      `soak: ${done}/${TOTAL} (${JSON.stringify(counts)}) rss ${rssMb(gateway.pid).toFixed(0)} MB`,
    );
  }, 10_000);
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  clearInterval(progress);
  rotating = false;
  await rotation;
  for (const name of Object.keys(sims)) {
    await setFault(simUrl(name), null);
  }
  // Every upstream call must be closed once every client has its answer.
  await new Promise((r) => setTimeout(r, 1000));
  const open = {};
  for (const name of Object.keys(sims)) {
    open[name] = (await (await fetch(`${simUrl(name)}/_sim/state`)).json()).open_chats;
  }
  const rssEnd = rssMb(gateway.pid);
  const seconds = (Date.now() - startedAt) / 1000;
  const report = {
    requests: TOTAL,
    concurrency: CONCURRENCY,
    seconds: Math.round(seconds),
    fault_periods: faultsPlayed,
    outcomes: counts,
    error_codes: codes,
    slowest_ms: slowest,
    open_upstream_calls_at_end: open,
    rss_mb: { start: Math.round(rssStart), peak: Math.round(rssPeak), end: Math.round(rssEnd) },
  };
  console.log(JSON.stringify(report, null, 2));
  void children.stop();
  const leaked = Object.values(open).reduce((a, b) => a + b, 0);
  process.exit(counts.hung === 0 && counts.lost === 0 && leaked === 0 ? 0 : 1);
}

main().catch((err) => {
  console.error(`soak: ${err.stack ?? err}`);
  process.exit(1);
});
