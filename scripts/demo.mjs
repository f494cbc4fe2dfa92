#!/usr/bin/env node
// `npm run demo`: three simulated backends + the gateway wired to them, then ready-to-paste curls.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import {
  buildIfNeeded,
  GATEWAY_COMMAND,
  portFree,
  processGroup,
  SIM_MAIN,
  waitReady,
} from './processes.mjs';

export const DEMO_KEY = 'demo-key-0123456789';
export const READY_LINE = 'Demo ready.';
const CLOUD_KEYS = { 'ollama-cloud': 'demo-ollama-cloud-key', openrouter: 'demo-openrouter-key' };

function crc32(buf) {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) {
      c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
    }
  }
  return ~c >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** A small RGB gradient PNG, so the vision call has a real picture to send. */
export function tinyPng(width = 32, height = 24) {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    for (let x = 0; x < width; x++) {
      raw[row + 1 + x * 3] = Math.round((255 * x) / width);
      raw[row + 2 + x * 3] = Math.round((255 * y) / height);
      raw[row + 3 + x * 3] = 160;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * Every command the demo prints, in order. Each `cmd` is bash that works as printed once
 * `export BEARER=demo-key-0123456789` has been pasted. `id` names the check the demo test applies.
 */
export function demoCommands({ gateway, vllm, openrouter, photo, bearer = DEMO_KEY }) {
  const auth = `-H "Authorization: Bearer $BEARER"`;
  const json = `-H "Content-Type: application/json"`;
  const chat = `${gateway}/v1/chat/completions`;
  return [
    { id: 'bearer', title: 'Your demo key', cmd: `export BEARER=${bearer}` },
    {
      id: 'info',
      title: "Models & constraints (the seed's example)",
      cmd: `curl -s ${auth} \\\n  ${gateway}/v1/info \\\n  | jq '.models[] | {alias, family, context_window, tools, constraints}'`,
    },
    {
      id: 'chat',
      title: 'A chat with the local model (llama-4-scout on the simulated vLLM)',
      cmd:
        `curl -s ${chat} ${auth} ${json} \\\n` +
        `  -d '{"model": "llama-4-scout", "messages": [{"role": "user", "content": "Say hello from the DGX Spark"}]}' \\\n` +
        `  | jq '{model, content: .choices[0].message.content, usage}'`,
    },
    {
      id: 'stream',
      title: 'The same chat, streamed',
      cmd:
        `curl -sN ${chat} ${auth} ${json} \\\n` +
        `  -d '{"model": "llama-4-scout", "stream": true, "messages": [{"role": "user", "content": "Stream a short answer"}]}'`,
    },
    {
      id: 'floored',
      title:
        'A reasoning model with max_tokens 50: the gateway floors it to 200 (see x-rust-api-applied)',
      cmd:
        `curl -si ${chat} ${auth} ${json} \\\n` +
        `  -d '{"model": "gpt-5.5-pro", "max_tokens": 50, "messages": [{"role": "user", "content": "Why is the sky blue?"}]}'`,
    },
    {
      id: 'starved',
      title:
        'The same call straight to the simulated OpenRouter, no floor: empty content, finish_reason length',
      cmd:
        `curl -s ${openrouter}/v1/chat/completions ${json} \\\n` +
        `  -H "Authorization: Bearer ${CLOUD_KEYS.openrouter}" \\\n` +
        `  -d '{"model": "openai/gpt-5.5-pro", "max_tokens": 50, "messages": [{"role": "user", "content": "Why is the sky blue?"}]}' \\\n` +
        `  | jq '{content: .choices[0].message.content, finish_reason: .choices[0].finish_reason, usage}'`,
    },
    {
      id: 'vision',
      title: 'Vision input, base64 only (a small PNG written at startup)',
      cmd:
        `B64=$(base64 < ${photo} | tr -d '\\n')\n` +
        `curl -s ${chat} ${auth} ${json} -d "{\n` +
        `  \\"model\\": \\"qwen3-vl-30b-instruct\\",\n` +
        `  \\"messages\\": [{\n` +
        `    \\"role\\": \\"user\\",\n` +
        `    \\"content\\": [\n` +
        `      {\\"type\\": \\"text\\", \\"text\\": \\"What is in this image?\\"},\n` +
        `      {\\"type\\": \\"image_url\\", \\"image_url\\": {\\"url\\": \\"data:image/png;base64,$B64\\"}}\n` +
        `    ]\n` +
        `  }]\n` +
        `}" | jq '.choices[0].message.content'`,
    },
    {
      id: 'image',
      title: 'Image generation, saved to image.png',
      cmd:
        `curl -s ${chat} ${auth} ${json} \\\n` +
        `  -d '{"model": "image-gen", "messages": [{"role": "user", "content": "A lighthouse at dusk"}]}' \\\n` +
        `  | jq -r '.choices[0].message.images[0].image_url.url' | cut -d, -f2 | base64 -d > image.png\n` +
        `ls -l image.png`,
    },
    {
      id: 'tools',
      title: 'Tool calling: the model asks for get_weather (finish_reason tool_calls)',
      cmd:
        `curl -s ${chat} ${auth} ${json} \\\n` +
        `  -d '{"model": "llama-4-scout", "messages": [{"role": "user", "content": "What is the weather in Paris?"}],\n` +
        `       "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]}' \\\n` +
        `  | jq '{finish_reason: .choices[0].finish_reason, tool_calls: .choices[0].message.tool_calls}'`,
    },
    {
      id: 'responses',
      title: 'The Responses API (what LangChain and the AI SDK call): same routing, same floor',
      cmd:
        `curl -s ${gateway}/v1/responses ${auth} ${json} \\\n` +
        `  -d '{"model": "gpt-5.5-pro", "instructions": "Be brief.", "input": "Why is the sky blue?", "max_output_tokens": 50}' \\\n` +
        `  | jq '{status, text: .output[0].content[0].text, usage}'`,
    },
    {
      id: 'images',
      title: 'The Images API: generate, saved to generated.png',
      cmd:
        `curl -s ${gateway}/v1/images/generations ${auth} ${json} \\\n` +
        `  -d '{"model": "nano-banana", "prompt": "A red fox in the snow", "size": "1024x1024"}' \\\n` +
        `  | jq -r '.data[0].b64_json' | base64 -d > generated.png\n` +
        `ls -l generated.png`,
    },
    {
      id: 'down',
      title: 'Failover 1/4: take the simulated vLLM down',
      cmd: `curl -s -X POST ${vllm}/_sim/down`,
    },
    {
      id: 'readyz',
      title:
        'Failover 2/4: after the next health check (every 2 s) /readyz shows vllm: unreachable',
      cmd: `sleep 3\ncurl -s ${gateway}/readyz | jq '.info.backends'`,
    },
    {
      id: 'failover',
      title: 'Failover 3/4: the same model now answers from ollama-cloud (x-gateway-backend)',
      cmd:
        `curl -si ${chat} ${auth} ${json} \\\n` +
        `  -d '{"model": "llama-4-scout", "messages": [{"role": "user", "content": "Who answers now?"}]}'`,
    },
    {
      id: 'up',
      title: 'Failover 4/4: bring vLLM back (it is available again after the next health check)',
      cmd: `curl -s -X POST ${vllm}/_sim/up`,
    },
  ];
}

function env(name, fallback) {
  const v = process.env[name];
  return v === undefined || v.trim() === '' ? fallback : v.trim();
}

async function main() {
  const host = '127.0.0.1';
  const port = Number(env('PORT', '8080'));
  const metricsPort = Number(env('METRICS_PORT', '9464'));
  const ports = {
    vllm: Number(env('DEMO_VLLM_PORT', '8001')),
    'ollama-cloud': Number(env('DEMO_OLLAMA_CLOUD_PORT', '8002')),
    openrouter: Number(env('DEMO_OPENROUTER_PORT', '8003')),
  };
  for (const [name, p] of [
    ['PORT', port],
    ['METRICS_PORT', metricsPort],
    ['DEMO_VLLM_PORT', ports.vllm],
    ['DEMO_OLLAMA_CLOUD_PORT', ports['ollama-cloud']],
    ['DEMO_OPENROUTER_PORT', ports.openrouter],
  ]) {
    if (!(await portFree(host, p))) {
      console.error(
        `demo: port ${p} is in use (another demo running?); set ${name} to another port`,
      );
      process.exit(1);
    }
  }
  buildIfNeeded();
  const dir = join(tmpdir(), `dgx-demo-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const photo = join(dir, 'photo.png');
  writeFileSync(photo, tinyPng());

  let stopping = false;
  const stop = (code) => {
    if (stopping) {
      return;
    }
    stopping = true;
    void children.stop({ killAfterMs: 10_000 }).then((stopped) => {
      if (stopped > 0) {
        console.log('Demo stopped.');
      }
      process.exit(code);
    });
  };
  const children = processGroup({
    onUnexpectedExit: (name, how) => {
      console.error(`${name} exited (${how}); stopping the demo.`);
      stop(1);
    },
  });
  // Children get their own process group: Ctrl-C reaches only this script, which stops them once.
  const launch = (name, command, extraEnv) =>
    children.launch(name, command, extraEnv, {
      stdout: 'inherit',
      detached: true,
    });
  process.on('SIGINT', () => stop(0));
  process.on('SIGTERM', () => stop(0));
  process.on('SIGHUP', () => stop(0));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

  const sim = launch('upstream-sim', [process.execPath, SIM_MAIN], {
    SIM_INSTANCES: [
      `vllm:vllm:${ports.vllm}`,
      `ollama-cloud:ollama:${ports['ollama-cloud']}:${CLOUD_KEYS['ollama-cloud']}`,
      `openrouter:openrouter:${ports.openrouter}:${CLOUD_KEYS.openrouter}`,
    ].join(','),
    SIM_HOST: host,
    SIM_TTFT_MS: env('SIM_TTFT_MS', '250'),
    SIM_TOKENS_PER_SECOND: env('SIM_TOKENS_PER_SECOND', '60'),
    SIM_IMAGE_DELAY_MS: env('SIM_IMAGE_DELAY_MS', '1500'),
  });
  const simUrl = (name) => `http://${host}:${ports[name]}`;
  try {
    for (const name of Object.keys(ports)) {
      await waitReady(`${simUrl(name)}/_sim/state`, {
        timeoutMs: 15_000,
        isDead: children.anyExited,
      });
    }
  } catch (err) {
    console.error(`demo: ${err.message}`);
    stop(1);
    return;
  }
  const gatewayProc = launch('gateway', GATEWAY_COMMAND, {
    PORT: String(port),
    METRICS_PORT: String(metricsPort),
    HOST: '127.0.0.1',
    GATEWAY_API_KEYS: DEMO_KEY,
    BACKEND_VLLM_URL: `${simUrl('vllm')}/v1`,
    BACKEND_OLLAMA_CLOUD_URL: `${simUrl('ollama-cloud')}/v1`,
    BACKEND_OLLAMA_CLOUD_API_KEY: CLOUD_KEYS['ollama-cloud'],
    BACKEND_OPENROUTER_URL: `${simUrl('openrouter')}/v1`,
    BACKEND_OPENROUTER_API_KEY: CLOUD_KEYS.openrouter,
    BACKEND_HEALTH_INTERVAL_SECONDS: '2',
    SHUTDOWN_DELAY_SECONDS: '0',
    SHUTDOWN_GRACE_SECONDS: '5',
  });
  const gateway = `http://${host}:${port}`;
  try {
    await waitReady(`${gateway}/readyz`, { isDead: children.anyExited });
  } catch (err) {
    console.error(`demo: ${err.message}`);
    stop(1);
    return;
  }

  const commands = demoCommands({
    gateway,
    vllm: simUrl('vllm'),
    openrouter: simUrl('openrouter'),
    photo,
  });
  const out = [
    '',
    'DGX LLM Chat Gateway demo: three simulated backends and the gateway are running.',
    '',
    `  API docs   ${gateway}/docs`,
    `  Catalog    ${gateway}/v1/info   (needs the Bearer key)`,
    `  Readiness  ${gateway}/readyz`,
    `  Metrics    http://${host}:${metricsPort}/metrics   (Prometheus; its own port, never the API's)`,
    `  Backends   vllm ${simUrl('vllm')}  ollama-cloud ${simUrl('ollama-cloud')}  openrouter ${simUrl('openrouter')}`,
    `  Processes  upstream-sim pid ${sim.pid}, gateway pid ${gatewayProc.pid}`,
    '',
    'Paste these commands in another terminal (they need curl and jq):',
    '',
  ];
  for (const c of commands) {
    out.push(`# ${c.title}`, c.cmd, '');
  }
  out.push(`${READY_LINE} Ctrl-C stops everything.`);
  console.log(out.join('\n'));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(`demo: ${err.message}`);
    process.exit(1);
  });
}
