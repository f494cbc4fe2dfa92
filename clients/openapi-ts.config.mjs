// Generates a TypeScript client of the gateway with @hey-api/openapi-ts, in two SDKs from the one
// document (see the README's OpenAPI section):
//   <dir>/json    every operation; the dual-mode ones (chat, responses) typed by their JSON answer
//   <dir>/stream  the same, the dual-mode ones as SSE methods whose events are typed with the
//                 document's stream schemas (CreateChatCompletionStreamEvent, ResponseStreamEvent)
//                 and whose body must say `stream: true`
// hey-api gives an operation one method, typed by one media type per status (JSON first), so an
// operation that answers JSON or a stream becomes two SDKs rather than two methods.
//
//   GATEWAY_OPENAPI=http://localhost:8080/openapi.json GATEWAY_CLIENT_DIR=src/gateway \
//     npx @hey-api/openapi-ts -f clients/openapi-ts.config.mjs

const input = process.env.GATEWAY_OPENAPI ?? 'http://localhost:8080/openapi.json';
const dir = process.env.GATEWAY_CLIENT_DIR ?? 'src/gateway';
const plugins = ['@hey-api/client-fetch', '@hey-api/sdk', '@hey-api/typescript'];

/** An operation whose 200 is JSON or a stream becomes its stream: events typed, `stream: true` required. */
function streamOnly(_method, _path, operation) {
  const ok = operation.responses?.['200']?.content;
  const body = operation.requestBody?.content?.['application/json'];
  if (!ok?.['text/event-stream'] || !ok['application/json'] || !body) {
    return;
  }
  delete ok['application/json'];
  body.schema = {
    allOf: [body.schema, { properties: { stream: { const: true } }, required: ['stream'] }],
  };
}

export default [
  { input, output: `${dir}/json`, plugins, logs: { file: false } },
  {
    input,
    output: `${dir}/stream`,
    plugins,
    parser: { patch: { operations: streamOnly } },
    logs: { file: false },
  },
];
