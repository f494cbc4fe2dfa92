import type { RequestListener, Server } from 'node:http';
import { Logger, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { GatewayConfig } from '@app/config';
import { createLogger, JsonLogger, type CreatedLogger } from '@app/telemetry';
import { AppModule } from './app.module';
import { ChatFrontDoor } from './chat-front-door';
import { mountSwagger } from './openapi';

export interface GatewayOptions {
  /** The JSON log stream; by default one at `config.logLevel` on stdout, written asynchronously. */
  logs?: CreatedLogger;
}

/**
 * Builds the gateway exactly as production runs it; main.ts and the e2e tests both start here.
 * Nest's body parser is off: chat bodies are read by the chat lib under its own limits and checks.
 * The chat route is served by {@link ChatFrontDoor} ahead of Express. Every log line, Nest's
 * included, is one JSON object on the one pino stream.
 */
export async function createGateway(
  config: GatewayConfig,
  options: GatewayOptions = {},
): Promise<NestExpressApplication> {
  const logs = options.logs ?? createLogger(config.logLevel);
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot(config, { logs }),
    {
      bodyParser: false,
      abortOnError: false,
      // app.close() ends every connection: drainAndClose has already waited out the grace period.
      forceCloseConnections: true,
      logger: new JsonLogger(logs.logger),
    },
  );
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  mountSwagger(app);
  const server = app.getHttpServer();
  const express: RequestListener = app.getHttpAdapter().getInstance();
  const listener = ChatFrontDoor.from(app).listener(express);
  server.removeListener('request', express);
  server.on('request', listener);
  // `Expect: 100-continue` goes through the same pipeline: the body reader sends `100 Continue`
  // only once auth and the size checks have passed, so a refused client never uploads its body.
  server.on('checkContinue', listener);
  applyServerLimits(server);
  return app;
}

/** Listens and applies the server-level limits (slow-loris timeouts, keep-alive). */
export async function listen(
  app: INestApplication,
  port: number,
  host = '0.0.0.0',
): Promise<Server> {
  await app.listen(port, host);
  const server = app.getHttpServer() as Server;
  new Logger('Gateway').log(`listening on ${JSON.stringify(server.address())}`);
  return server;
}

/** Slow-loris limits: headers within 15 s, a whole request within 60 s, checked every second. */
function applyServerLimits(server: Server): void {
  server.headersTimeout = 15_000;
  server.requestTimeout = 60_000;
  server.keepAliveTimeout = 65_000;
  // Node checks both timeouts on this interval (30 s by default, which let a slow client hold a
  // socket up to 45 s); it is read when the server starts listening.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = 1_000;
}
