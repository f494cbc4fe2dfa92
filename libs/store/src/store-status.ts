import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '@app/config';
import { RedisConnection, type RedisState } from './redis-connection';

/** What `/readyz` details and the metrics show of the state store. */
export type StoreSnapshot =
  | { mode: 'memory' }
  | {
      mode: 'redis';
      /** `unreachable`: limits follow the failure policy, circuits are this replica's own. */
      redis: RedisState;
      /** Outages since the start. */
      outages: number;
      /** Store operations served from local state during outages. */
      fallbacks: number;
      /** When the current outage began (ISO time), while Redis is unreachable. */
      down_since?: string;
    };

/**
 * Owns the Redis connection when `REDIS_URL` is set (connects at start without waiting for it,
 * closes it at shutdown) and reports how the state store stands. Readiness never fails on it:
 * a replica without Redis still serves, from its own memory.
 */
@Injectable()
export class StoreStatus implements OnModuleInit, OnModuleDestroy {
  /** The Redis connection, when state is shared through Redis. */
  readonly redis?: RedisConnection;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    const url = config.store.redis_url;
    if (url) {
      this.redis = new RedisConnection(url, config.store.key_prefix);
    }
  }

  onModuleInit(): void {
    this.redis?.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.redis?.close();
  }

  snapshot(): StoreSnapshot {
    if (!this.redis) {
      return { mode: 'memory' };
    }
    const { outages, fallbacks, downSince } = this.redis.counters;
    return {
      mode: 'redis',
      redis: this.redis.state,
      outages,
      fallbacks,
      ...(downSince !== undefined &&
        this.redis.state === 'unreachable' && { down_since: new Date(downSince).toISOString() }),
    };
  }
}
