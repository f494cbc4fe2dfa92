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
 *
 * Subscriptions go through {@link subscribe}, never through ioredis's own re-subscription: that
 * sends SUBSCRIBE on every reconnection with a promise nobody handles, so a connection lost again
 * before Redis answered it rejected that promise unhandled and Node ended the gateway.
 */
export class RedisConnection {
  readonly client: Redis;
  /** Identifies this process among the replicas (concurrency-slot leases). */
  readonly replicaId = randomBytes(6).toString('hex');
  private readonly logger = new Logger('Redis');
  private readonly readyListeners: Array<() => void> = [];
  private subscriberClient?: Redis;
  /** Handlers by channel, subscribed again on every (re)connection of the subscriber. */
  private readonly channels = new Map<string, (message: string) => void>();
  private current: RedisState = 'connecting';
  private downSince?: number;
  private outageCount = 0;
  private fallbackCount = 0;
  private closed = false;
  /** A hung connection is being dropped: the other commands timing out on it change nothing. */
  private dropping = false;

  constructor(
    readonly url: string,
    readonly keyPrefix: string,
  ) {
    this.client = new Redis(url, RedisConnection.options());
    this.client.on('ready', () => this.up());
    this.client.on('error', (err: Error) => this.down(err.message));
    this.client.on('close', () => {
      this.dropping = false;
      this.down('connection closed');
    });
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
   * timeout means a hung Redis, so the connection is dropped and remade — once, however many
   * commands were waiting on it.
   */
  commandFailed(err: unknown): void {
    const message = err instanceof Error ? err.message : 'command failed';
    if (err instanceof Error && err.name === 'ReplyError') {
      this.logger.error(`Redis refused a command: ${message.slice(0, 200)}`);
      return;
    }
    this.down(message);
    if (/timed? ?out/i.test(message) && this.client.status === 'ready' && !this.dropping) {
      this.dropping = true;
      this.client.disconnect(true);
    }
  }

  /** Calls `listener` every time the connection becomes usable (first connect and reconnects). */
  onReady(listener: () => void): void {
    this.readyListeners.push(listener);
  }

  /**
   * Calls `onMessage` with every message published on `channel`, from now on and across every
   * reconnection. Messages published while the subscriber is disconnected are lost (pub/sub keeps
   * none), so a subscriber also re-reads what it mirrors when the connection is back.
   */
  subscribe(channel: string, onMessage: (message: string) => void): void {
    this.channels.set(channel, onMessage);
    const sub = this.subscriberClient ?? this.startSubscriber();
    if (sub.status === 'ready') {
      this.sendSubscribe(sub, [channel]);
    }
  }

  /** The full Redis key of a logical key. */
  key(name: string): string {
    return `${this.keyPrefix}${name}`;
  }

  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    this.subscriberClient?.disconnect(); // A SUBSCRIBE in flight fails, handled by sendSubscribe.
    if (this.client.status === 'ready') {
      await this.client.quit().catch(() => undefined);
    }
    this.client.disconnect();
  }

  /**
   * The second connection, for SUBSCRIBE only (a subscribed connection runs no other command). It
   * sends no command while disconnected and re-subscribes by itself on every `ready`.
   */
  private startSubscriber(): Redis {
    const sub = new Redis(this.url, { ...RedisConnection.options(), autoResubscribe: false });
    sub.on('error', () => undefined); // The command connection reports outages.
    sub.on('ready', () => this.sendSubscribe(sub, [...this.channels.keys()]));
    sub.on('message', (channel: string, message: string) => this.channels.get(channel)?.(message));
    sub.connect().catch(() => undefined);
    this.subscriberClient = sub;
    return sub;
  }

  /**
   * SUBSCRIBE with its failure handled. Lost with the connection, it is sent again on the next
   * `ready`; timed out on a live connection (a hung Redis), the connection is remade for it.
   */
  private sendSubscribe(sub: Redis, channels: string[]): void {
    if (channels.length === 0) {
      return;
    }
    sub.subscribe(...channels).catch(() => {
      if (!this.closed && sub.status === 'ready') {
        sub.disconnect(true);
      }
    });
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
