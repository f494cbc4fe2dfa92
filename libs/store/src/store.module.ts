import { Global, Module, type OnModuleDestroy } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '@app/config';
import { CircuitStore, MemoryCircuitStore } from './circuit-store';
import { LimitStore, MemoryLimitStore } from './limit-store';
import { RedisCircuitStore } from './redis-circuit-store';
import { RedisLimitStore } from './redis-limit-store';
import { StoreStatus } from './store-status';

/** Stops a store's timers at shutdown (Nest calls the hook on factory-made providers too). */
function closing<T extends { close(): void }>(store: T): T & OnModuleDestroy {
  return Object.assign(store, { onModuleDestroy: () => store.close() });
}

/**
 * The gateway's shared state: circuit state ({@link CircuitStore}) and limit state
 * ({@link LimitStore}), in Redis when `REDIS_URL` is set (every replica sees the same), else in
 * this process's memory.
 */
@Global()
@Module({
  providers: [
    StoreStatus,
    {
      provide: CircuitStore,
      inject: [StoreStatus],
      useFactory: (status: StoreStatus): CircuitStore =>
        status.redis ? closing(new RedisCircuitStore(status.redis)) : new MemoryCircuitStore(),
    },
    {
      provide: LimitStore,
      inject: [StoreStatus, GATEWAY_CONFIG],
      useFactory: (status: StoreStatus, config: GatewayConfig): LimitStore =>
        status.redis
          ? closing(
              new RedisLimitStore(status.redis, { policy: config.limits.redis_failure_policy }),
            )
          : new MemoryLimitStore(),
    },
  ],
  exports: [StoreStatus, CircuitStore, LimitStore],
})
export class StoreModule {}
