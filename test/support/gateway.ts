import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { INestApplication } from '@nestjs/common';
import { GATEWAY_CONFIG, loadConfig, type GatewayConfig } from '@app/config';
import { CircuitStore, type BenchReason } from '@app/store';
import { MetricsServer } from '@app/telemetry';
import { createGateway, listen, type GatewayOptions } from '../../apps/gateway/src/bootstrap';

export const CLIENT_KEY = 'sk-e2e-client-0123456789abcdef';

export interface RunningGateway {
  app: NestExpressApplication;
  server: Server;
  url: string;
  /** The Prometheus listener's `/metrics` URL. */
  metricsUrl: string;
  config: GatewayConfig;
  close(): Promise<void>;
}

/** Boots the real gateway (same pipeline as production) on 127.0.0.1 and OS-picked ports. */
export async function startGateway(
  env: Record<string, string | undefined> = {},
  options: GatewayOptions = {},
): Promise<RunningGateway> {
  const config = loadConfig({
    GATEWAY_API_KEYS: CLIENT_KEY,
    LOG_LEVEL: 'error',
    METRICS_PORT: '0',
    HOST: '127.0.0.1',
    ...env,
  });
  const app = await createGateway(config, options);
  const server = await listen(app, 0, '127.0.0.1');
  const { port } = server.address() as AddressInfo;
  const metrics = app.get(MetricsServer).address();
  return {
    app,
    server,
    config,
    url: `http://127.0.0.1:${port}`,
    metricsUrl: `http://127.0.0.1:${metrics?.port ?? 0}/metrics`,
    close: () => app.close(),
  };
}

export const auth = { Authorization: `Bearer ${CLIENT_KEY}` };

const EVERY_REASON: BenchReason[] = [
  'failures',
  'unreachable',
  'rate_limited',
  'auth',
  'model_not_found',
];

/** Lifts every bench and failure streak, so a test starts from healthy circuits. */
export function resetCircuits(app: INestApplication): void {
  const store = app.get(CircuitStore);
  for (const key of [...store.benches().keys()]) {
    store.lift(key, EVERY_REASON);
  }
  for (const backend of app.get<GatewayConfig>(GATEWAY_CONFIG).backends) {
    store.resetFailures(backend.name);
  }
}
