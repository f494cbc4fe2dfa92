import { Logger } from '@nestjs/common';
import { ConfigError, loadConfig } from '@app/config';
import { drainAndClose } from '@app/health';
import { createLogger } from '@app/telemetry';
import { createGateway, listen } from './bootstrap';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      const boot = createLogger('error');
      boot.logger.fatal({ context: 'Config' }, `gateway: ${err.message}`);
      boot.flush();
      process.exit(1);
    }
    throw err;
  }
  const logs = createLogger(config.logLevel);
  // Log lines are written asynchronously: whatever is still buffered goes out before exit.
  process.once('exit', () => logs.flush());
  const app = await createGateway(config, { logs });
  if (config.auth.insecure) {
    Logger.warn(
      'GATEWAY_INSECURE_NO_AUTH is set: /v1 accepts requests WITHOUT an API key. Never do this outside local development.',
      'Auth',
    );
  }
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
