import { Logger } from '@nestjs/common';
import { ConfigError, loadConfig } from '@app/config';
import { drainAndClose } from '@app/health';
import { createGateway, listen } from './bootstrap';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`gateway: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  if (config.auth.insecure) {
    Logger.warn(
      'GATEWAY_INSECURE_NO_AUTH is set: /v1 accepts requests WITHOUT an API key. Never do this outside local development.',
      'Auth',
    );
  }
  const app = await createGateway(config);
  const server = await listen(app, config.server.port, config.server.host);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      // Kubernetes and process managers repeat the signal: the drain already under way decides when to exit.
      Logger.warn(`${signal} received again: still draining`, 'Shutdown');
      return;
    }
    stopping = true;
    Logger.log(`${signal} received`, 'Shutdown');
    drainAndClose(app, server, config).then(
      () => process.exit(0),
      (err: unknown) => {
        Logger.error(err instanceof Error ? err.stack : String(err), 'Shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();
