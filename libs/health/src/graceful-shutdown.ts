import type { Server } from 'node:http';
import { Logger, type INestApplication } from '@nestjs/common';
import type { GatewayConfig } from '@app/config';
import { LifecycleService } from './lifecycle.service';

/** How long streams get to write their final error event at the end of the grace period. */
const CLOSE_IN_FLIGHT_MS = 1000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * SIGTERM sequence for Kubernetes: readiness fails at once; after the delay (endpoints catch up) new
 * connections stop; in-flight requests and streams — 240 s image calls included — finish within the
 * grace period; then the app closes. Resolves when it is safe to exit.
 */
export async function drainAndClose(
  app: INestApplication,
  server: Server,
  config: GatewayConfig,
): Promise<void> {
  const logger = new Logger('Shutdown');
  const lifecycle = app.get(LifecycleService);
  const started = Date.now();
  lifecycle.beginDrain();
  logger.log(
    `draining: readiness is 503; new connections stop in ${config.server.shutdown_delay_seconds}s`,
  );
  await sleep(config.server.shutdown_delay_seconds * 1000);
  lifecycle.refuseNewRequests();
  server.close();
  server.closeIdleConnections();
  const budget = Math.max(0, config.server.shutdown_grace_seconds * 1000 - (Date.now() - started));
  const idle = await lifecycle.whenIdle(budget);
  if (!idle) {
    logger.warn(
      `grace period over with ${lifecycle.inflightCount} request(s) still in flight; closing them`,
    );
    // Streams end with a `shutting_down` error event (never a silent cut) and are logged.
    lifecycle.closeInFlight();
    await lifecycle.whenIdle(CLOSE_IN_FLIGHT_MS);
  }
  server.closeAllConnections();
  lifecycle.markClosed();
  await app.close();
  logger.log('shut down');
}
