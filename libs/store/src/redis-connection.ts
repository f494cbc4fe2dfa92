import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';

/** Where a Redis connection stands: `connecting` only until the first success or failure. */
export type RedisState = 'connecting' | 'connected' | 'unreachable';

/** Short enough that a hung Redis costs a request little; long enough for a loaded one. */
const COMMAND_TIMEOUT_MS = 250;
const CONNECT_TIMEOUT_MS = 1_000;
const MAX_BACKOFF_MS = 5_000;

/**
 * The one Redis client of the gateway (ioredis): connects lazily in the background, never queues
 * a command while disconnected (it fails at once, so callers fall back to local state), times
 * commands out after {@link COMMAND_TIMEOUT_MS}, and reconnects with a capped backoff. It logs an
 * outage once when it starts and once when it ends, and counts outages and the operations served
 * from local state meanwhile.
 */
export class RedisConnection {
  readonly client: Redis;
  /** Identifies this process among the replicas (concurrency-slot leases). */
  readonly replicaId = randomBytes(6).toString('hex');
  private readonly logger = new Logger('Redis');
  private readonly readyListeners: Array<() => void> = [];
  private subscriberClient?: Redis;
  private current: RedisState = 'connecting';
  private downSince?: number;
  private outageCount = 0;
  private fallbackCount = 0;
  private closed = false;

  constructor(
    readonly url: string,
    readonly keyPrefix: string,
  ) {
    this.client = new Redis(url, RedisConnection.options());
    this.client.on('ready', () => this.up());
    this.client.on('error', (err: Error) => this.down(err.message));
    this.client.on('close', () => this.down('connection closed'));
  }

  /** Options shared by the command and the subscriber connections. */
  static options(): RedisOptions {
    return {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: COMMAND_TIMEOUT_MS,
      connectTimeout: CONNECT_TIMEOUT_MS,
      retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 6), MAX_BACKOFF_MS),
    };
  }

  /** Starts connecting; never throws (a Redis that is down at boot is an outage, not a crash). */
  start(): void {
    this.client.connect().catch(() => undefined);
  }

  /** Whether commands can go to Redis now. */
  get available(): boolean {
    return this.current === 'connected';
  }

  get state(): RedisState {
    return this.current;
  }

  /** Outages since the start, and operations served from local state while Redis was out. */
  get counters(): { outages: number; fallbacks: number; downSince?: number } {
    return { outages: this.outageCount, fallbacks: this.fallbackCount, downSince: this.downSince };
  }

  /** An operation served from local state because Redis was out. */
  countFallback(): void {
    this.fallbackCount++;
  }

  /**
   * A command failed. Redis answering with an error (a bug of ours, not an outage) is logged; a
   * timeout means a hung Redis, so the connection is dropped and remade.
   */
  commandFailed(err: unknown): void {
    const message = err instanceof Error ? err.message : 'command failed';
    if (err instanceof Error && err.name === 'ReplyError') {
      this.logger.error(`Redis refused a command: ${message.slice(0, 200)}`);
      return;
    }
    this.down(message);
    if (/timed? ?out/i.test(message) && this.client.status === 'ready') {
      this.client.disconnect(true);
    }
  }

  /** Calls `listener` every time the connection becomes usable (first connect and reconnects). */
  onReady(listener: () => void): void {
    this.readyListeners.push(listener);
  }

  /** A second connection for SUBSCRIBE (a subscribed connection runs no other command). */
  subscriber(): Redis {
    if (!this.subscriberClient) {
      const sub = new Redis(this.url, { ...RedisConnection.options(), enableOfflineQueue: true });
      sub.on('error', () => undefined); // The command connection reports outages.
      sub.connect().catch(() => undefined);
      this.subscriberClient = sub;
    }
    return this.subscriberClient;
  }

  /** The full Redis key of a logical key. */
  key(name: string): string {
    return `${this.keyPrefix}${name}`;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.subscriberClient?.disconnect();
    if (this.client.status === 'ready') {
      await this.client.quit().catch(() => undefined);
    }
    this.client.disconnect();
  }

  private up(): void {
    const wasDown = this.current === 'unreachable';
    this.current = 'connected';
    if (wasDown) {
      const seconds = Math.round((Date.now() - (this.downSince ?? Date.now())) / 1000);
      this.logger.log(`Redis reachable again after ${seconds}s: state is shared again`);
    }
    this.downSince = undefined;
    for (const listener of this.readyListeners) {
      listener();
    }
  }

  private down(reason: string): void {
    if (this.closed || this.current === 'unreachable') {
      return;
    }
    this.current = 'unreachable';
    this.outageCount++;
    this.downSince = Date.now();
    this.logger.warn(
      `Redis unreachable (${reason.slice(0, 120)}): limits and circuits fall back to this replica's memory until it returns`,
    );
  }
}
