import { Logger } from '@nestjs/common';
import { ConfigError, loadConfig } from '@app/config';
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
  await listen(app, config.server.port);
}

void main();
