#!/usr/bin/env node
// `node scripts/overload.mjs`: how much memory big image requests cost the built gateway, with and
// without the overload caps. Starts the simulators and a gateway, fires PARALLEL requests carrying a
// ~15 MB base64 PNG at once, samples the gateway's RSS every 20 ms, and prints the baseline, the peak
// and the outcomes. Env: OVERLOAD_PARALLEL (16), OVERLOAD_IMAGE_MB (11 raw → ~15 MB of body),
// GATEWAY_MAX_INFLIGHT_BODY_BYTES / GATEWAY_MAX_INFLIGHT_REQUESTS (passed to the gateway; 0 = off).
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { PNG } from 'pngjs';
import {
  buildIfNeeded,
  freePort,
  GATEWAY_COMMAND,
  processGroup,
  rssMb,
  SIM_MAIN,
  waitReady,
} from './processes.mjs';

const KEY = 'overload-key-0123456789';
const PARALLEL = Number(process.env.OVERLOAD_PARALLEL ?? 16);
const IMAGE_MB = Number(process.env.OVERLOAD_IMAGE_MB ?? 11);

const children = processGroup({ label: 'overload' });

/** A PNG of random pixels (incompressible) of about `mb` megabytes, as a data URI. */
function bigPngDataUri(mb) {
  const side = Math.round(Math.sqrt((mb * 1024 * 1024) / 3));
  const png = new PNG({ width: side, height: side, colorType: 2 });
  randomBytes(side * side * 4).copy(png.data);
  const bytes = PNG.sync.write(png, { colorType: 2, deflateLevel: 0 });
  return `data:image/png;base64,${bytes.toString('base64')}`;
}

function post(base, body) {
  return new Promise((resolve) => {
    const req = http.request(
      new URL('/v1/chat/completions', base),
      {
        method: 'POST',
        agent: false,
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${KEY}`,
          'content-length': body.length,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
        res.on('error', () => resolve('lost'));
      },
    );
    req.on('error', () => resolve('lost'));
    req.end(body);
  });
}

async function main() {
  buildIfNeeded();
  const [port, vllm, ollama, openrouter, metrics] = await Promise.all(
    [0, 1, 2, 3, 4].map(freePort),
  );
  children.launch('upstream-sim', [process.execPath, SIM_MAIN], {
    SIM_INSTANCES: `vllm:vllm:${vllm},ollama-cloud:ollama:${ollama}:ok-0123456789abcdef,openrouter:openrouter:${openrouter}:or-0123456789abcdef`,
    SIM_HOST: '127.0.0.1',
    SIM_TTFT_MS: '200',
  });
  const gateway = children.launch('gateway', GATEWAY_COMMAND, {
    PORT: String(port),
    METRICS_PORT: String(metrics),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    GATEWAY_API_KEYS: KEY,
    BACKEND_VLLM_URL: `http://127.0.0.1:${vllm}/v1`,
    BACKEND_OLLAMA_CLOUD_URL: `http://127.0.0.1:${ollama}/v1`,
    BACKEND_OLLAMA_CLOUD_API_KEY: 'ok-0123456789abcdef',
    BACKEND_OPENROUTER_URL: `http://127.0.0.1:${openrouter}/v1`,
    BACKEND_OPENROUTER_API_KEY: 'or-0123456789abcdef',
  });
  const base = `http://127.0.0.1:${port}`;
  await waitReady(`${base}/readyz`);
  const body = Buffer.from(
    JSON.stringify({
      model: 'llama-4-scout',
      max_tokens: 20,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Describe this image in 10 words.' },
            { type: 'image_url', image_url: { url: bigPngDataUri(IMAGE_MB) } },
          ],
        },
      ],
    }),
  );
  // Warm up (JIT, pools), then let the heap settle.
  await post(base, body);
  await new Promise((r) => setTimeout(r, 1000));
  const baseline = rssMb(gateway.pid);
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(gateway.pid))), 20);
  const started = Date.now();
  const statuses = await Promise.all(Array.from({ length: PARALLEL }, () => post(base, body)));
  const ms = Date.now() - started;
  clearInterval(sampler);
  const tally = {};
  statuses.forEach((s) => (tally[s] = (tally[s] ?? 0) + 1));
  const ready = (await (await fetch(`${base}/readyz`)).json()).info.overload;
  console.log(
    JSON.stringify({
      parallel: PARALLEL,
      body_mb: Math.round((body.length / 1024 / 1024) * 10) / 10,
      caps: {
        max_inflight_requests: ready.max_inflight_requests,
        max_inflight_body_bytes: ready.max_inflight_body_bytes,
      },
      rss_baseline_mb: Math.round(baseline),
      rss_peak_mb: Math.round(peak),
      per_request_mb: Math.round(((peak - baseline) / Math.max(1, tally[200] ?? 1)) * 10) / 10,
      statuses: tally,
      ms,
    }),
  );
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
