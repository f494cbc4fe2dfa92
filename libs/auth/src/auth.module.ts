import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeyGuard, ApiKeyMiddleware } from './api-key.guard';

/** Bearer authentication: as middleware on `/v1` (before bodies are read), and as a global guard. */
@Module({ providers: [{ provide: APP_GUARD, useClass: ApiKeyGuard }, ApiKeyMiddleware] })
export class AuthModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(ApiKeyMiddleware).forRoutes('v1/{*path}');
  }
}
