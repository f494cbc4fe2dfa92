import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeyGuard, ApiKeyMiddleware } from './api-key.guard';

/**
 * Bearer authentication: as a stage of the request path on `/v1` (before bodies are read; the
 * gateway's request pipeline places it), and as a global guard.
 */
@Module({
  providers: [{ provide: APP_GUARD, useClass: ApiKeyGuard }, ApiKeyMiddleware],
  exports: [ApiKeyMiddleware],
})
export class AuthModule {}
