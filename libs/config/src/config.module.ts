import { DynamicModule, Global, Module } from '@nestjs/common';
import type { GatewayConfig } from './gateway-config';
import { loadConfig } from './load-config';

/** Injection token of the validated {@link GatewayConfig}. */
export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');

@Global()
@Module({})
export class ConfigModule {
  /** Uses an already loaded configuration (main.ts loads it before Nest starts), or loads it from the environment. */
  static forRoot(config: GatewayConfig = loadConfig()): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: GATEWAY_CONFIG, useValue: config }],
      exports: [GATEWAY_CONFIG],
    };
  }
}
