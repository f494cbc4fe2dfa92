import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { AccessLogMiddleware } from './access-log.middleware';
import { RequestIdMiddleware } from './request-id.middleware';

/** Request ids on every response and a non-blocking access log. */
@Module({ providers: [RequestIdMiddleware, AccessLogMiddleware] })
export class ObservabilityModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestIdMiddleware, AccessLogMiddleware).forRoutes('{*path}');
  }
}
