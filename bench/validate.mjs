#!/usr/bin/env node
// `node bench/validate.mjs` (after `nest build gateway`): µs per chat-request validation, for the
// bodies the gateway sees most, run in-process against the built validator.
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { validateChatRequest } = require(
  resolve(
    process.env.DIST ?? resolve(ROOT, 'dist'),
    'apps/gateway/libs/chat/src/validate-chat-request.js',
  ),
);
const PNG =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

const CASES = {
  plain: {
    model: 'llama-4-scout',
    stream: true,
    messages: [{ role: 'user', content: 'Answer in 20 words' }],
  },
  'plain, 3 messages + sampling': {
    model: 'llama-4-scout',
    max_tokens: 200,
    temperature: 0.2,
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello!' },
    ],
  },
  'tools + vendor fields': {
    model: 'llama-4-scout',
    top_k: 40,
    chat_template_kwargs: { enable_thinking: false },
    stream_options: { include_usage: true },
    stream: true,
    tools: [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          parameters: { type: 'object', properties: { city: { type: 'string' } } },
        },
      },
    ],
    messages: [{ role: 'user', content: 'Weather in Paris?' }],
  },
  vision: {
    model: 'qwen3-vl-30b-instruct',
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in this image?' },
          { type: 'image_url', image_url: { url: PNG } },
        ],
      },
    ],
  },
};

const N = Number(process.env.N ?? 200_000);
for (const [name, body] of Object.entries(CASES)) {
  for (let i = 0; i < N / 4; i++) validateChatRequest(body);
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) validateChatRequest(body);
  const ns = Number(process.hrtime.bigint() - start) / N;
  console.log(`${name.padEnd(30)} ${(ns / 1000).toFixed(2)} µs`);
}
