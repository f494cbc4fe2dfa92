// The floor: the least an Express reverse proxy can do (keep-alive upstream, bodies piped both ways).
import http from 'node:http';
import express from 'express';

const target = new URL(process.env.PROXY_TARGET ?? 'http://127.0.0.1:8001');
const port = Number(process.env.PORT ?? 8090);
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host']);

function forwardHeaders(headers) {
  const out = {};
  for (const [k, v] of Object.entries(headers)) {
    if (!HOP.has(k)) {
      out[k] = v;
    }
  }
  return out;
}

const app = express();
app.disable('x-powered-by');
app.disable('etag');
app.use((req, res) => {
  const upstream = http.request(
    {
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.originalUrl,
      headers: forwardHeaders(req.headers),
      agent,
    },
    (up) => {
      res.writeHead(up.statusCode ?? 502, forwardHeaders(up.headers));
      up.pipe(res);
    },
  );
  upstream.on('error', () => {
    if (!res.headersSent) {
      res.status(502).json({ error: { message: 'upstream error', type: 'bad_gateway' } });
    } else {
      res.destroy();
    }
  });
  req.pipe(upstream);
});

const server = app.listen(port, '127.0.0.1', () =>
  console.log(`express-proxy listening on ${port}`),
);
server.keepAliveTimeout = 65_000;
const stop = () => server.close(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
