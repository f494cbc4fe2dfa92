import { DynamicModule, Global, Module } from '@nestjs/common';
import { GatewayMetrics } from './gateway-metrics';
import type { CreatedLogger } from './logger';
import { MetricsServer } from './metrics-server';
import { RequestObserver } from './request-observer';
import { TelemetryMiddleware } from './telemetry.middleware';
import { GATEWAY_LOGGER, GATEWAY_LOGS } from './telemetry.tokens';
import { TracingService } from './tracing.service';

export interface TelemetryOptions {
  /** The process's JSON log stream (also Nest's logger). */
  logs: CreatedLogger;
}

/**
 * Request ids and the per-request record ({@link TelemetryMiddleware}, first stage of the request
 * pipeline), its one observer (JSON access log, Prometheus metrics on their own listener, OpenTelemetry
 * spans when tracing is on).
 * Global: the logger and metrics are the process's.
 */
@Global()
@Module({})
export class TelemetryModule {
  static forRoot(options: TelemetryOptions): DynamicModule {
    return {
      module: TelemetryModule,
      providers: [
        { provide: GATEWAY_LOGS, useValue: options.logs },
        { provide: GATEWAY_LOGGER, useValue: options.logs.logger },
        GatewayMetrics,
        RequestObserver,
        TelemetryMiddleware,
        MetricsServer,
        TracingService,
      ],
      exports: [
        GATEWAY_LOGS,
        GATEWAY_LOGGER,
        GatewayMetrics,
        TelemetryMiddleware,
        MetricsServer,
        TracingService,
      ],
    };
  }
}
