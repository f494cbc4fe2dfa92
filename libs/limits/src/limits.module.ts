import { Global, Module } from '@nestjs/common';
import { LimitsMiddleware } from './limits.middleware';
import { LimitsService } from './limits.service';
import { OverloadGate } from './overload.gate';
import { UsageController } from './usage.controller';

/**
 * Per-key limits (request and token rates, concurrency, day and month token budgets, per alias
 * or alias group), the process-wide overload caps, and `GET /v1/usage`. The gateway's request
 * pipeline places {@link OverloadGate} and {@link LimitsMiddleware} on the JSON-body routes. Global: the chat service
 * checks the alias's limits once it knows the alias, and `/readyz` shows the overload caps.
 */
@Global()
@Module({
  controllers: [UsageController],
  providers: [LimitsService, LimitsMiddleware, OverloadGate],
  exports: [LimitsService, LimitsMiddleware, OverloadGate],
})
export class LimitsModule {}
