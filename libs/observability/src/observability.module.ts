import { Module } from '@nestjs/common';
import { AccessLogMiddleware } from './access-log.middleware';
import { RequestIdMiddleware } from './request-id.middleware';

/** Request ids on every response and a non-blocking access log (stages of the request pipeline). */
@Module({
  providers: [RequestIdMiddleware, AccessLogMiddleware],
  exports: [RequestIdMiddleware, AccessLogMiddleware],
})
export class ObservabilityModule {}
