import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import { BackendStatusSource, type BackendState, type BenchView } from '@app/catalog';
import { GATEWAY_CONFIG, type GatewayConfig } from '@app/config';
import { CircuitStore, type Bench, type BenchReason } from '@app/store';
import { BackendRegistry } from './backend-registry';

/** Benches a successful call or probe proves over; rate limits, key and model refusals are not. */
const LIFTED_BY_SUCCESS: readonly BenchReason[] = ['failures', 'unreachable'];

/** The circuit key of one upstream model of a backend. */
export function modelKey(backend: string, model: string): string {
  return `${backend}|${model}`;
}

/**
 * Backend circuits, kept in a {@link CircuitStore} (shared by every replica when it is Redis):
 * consecutive failures bench a backend for a cooldown; a refused connection or a failed probe
 * benches it as unreachable until a probe or a call succeeds; a 429 benches only the (backend,
 * upstream model) pair for its `Retry-After`, which neither a probe nor another model's success
 * can shorten. A client that goes away is nobody's failure. Probes hit unbilled endpoints every
 * BACKEND_HEALTH_INTERVAL_SECONDS.
 */
@Injectable()
export class BackendHealthService
  extends BackendStatusSource
  implements OnApplicationBootstrap, OnModuleDestroy
{
  private readonly logger = new Logger('BackendHealth');
  /** What this replica last saw of each backend's reachability (calls and probes). */
  private readonly reach = new Map<string, 'available' | 'unreachable'>();
  /** Backends this replica saw fail since their last success: only those need a reset. */
  private readonly failing = new Set<string>();
  private readonly configured: ReadonlySet<string>;
  private timer?: NodeJS.Timeout;
  private probing = false;

  constructor(
    private readonly registry: BackendRegistry,
    private readonly store: CircuitStore,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {
    super();
    this.configured = new Set(
      registry
        .all()
        .filter((b) => b.configured)
        .map((b) => b.name),
    );
  }

  onApplicationBootstrap(): void {
    void this.probeAll();
    this.timer = setInterval(
      () => void this.probeAll(),
      this.config.routing.health_interval_seconds * 1000,
    );
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  stateOf(name: string): BackendState {
    if (!this.configured.has(name)) {
      return { status: 'not_configured' };
    }
    const now = Date.now();
    const benches = this.store.benches(now);
    const own = benches.get(name);
    const prefix = `${name}|`;
    let benchedModels: Record<string, BenchView> | undefined;
    for (const [key, bench] of benches) {
      if (key.startsWith(prefix)) {
        (benchedModels ??= {})[key.slice(prefix.length)] = view(bench);
      }
    }
    const status = own
      ? own.reason === 'unreachable'
        ? 'unreachable'
        : 'benched'
      : (this.reach.get(name) ?? 'unknown');
    return { status, ...(own && { bench: view(own) }), ...(benchedModels && { benchedModels }) };
  }

  /** Why the fallback loop must skip this hop now, if it must. */
  skipReason(backend: string, model: string): BenchReason | 'not_configured' | undefined {
    if (!this.configured.has(backend)) {
      return 'not_configured';
    }
    return (this.store.get(backend) ?? this.store.get(modelKey(backend, model)))?.reason;
  }

  /** Seconds until the soonest of these hops returns (for `Retry-After`), at least 1. */
  retryAfterSeconds(hops: ReadonlyArray<{ backend: string; model: string }>): number {
    const now = Date.now();
    let soonest = Number.POSITIVE_INFINITY;
    for (const { backend, model } of hops) {
      const until = Math.max(
        this.store.get(backend, now)?.until ?? 0,
        this.store.get(modelKey(backend, model), now)?.until ?? 0,
      );
      soonest = Math.min(soonest, until > now ? until : now);
    }
    const seconds = Number.isFinite(soonest)
      ? Math.ceil((soonest - now) / 1000)
      : this.config.routing.health_interval_seconds;
    return Math.max(1, seconds);
  }

  /** A served call: the backend's failure streak ends. */
  recordSuccess(backend: string): void {
    if (this.failing.delete(backend) || this.reach.get(backend) !== 'available') {
      this.store.resetFailures(backend);
      this.store.lift(backend, LIFTED_BY_SUCCESS);
      this.setReach(backend, 'available');
    }
  }

  /** A call the backend failed. A refused connection benches it as unreachable at once. */
  recordFailure(backend: string, unreachable: boolean): void {
    this.failing.add(backend);
    const now = Date.now();
    if (unreachable) {
      this.setReach(backend, 'unreachable');
      this.bench(backend, 'unreachable', this.config.routing.health_interval_seconds, now);
    }
    void this.store
      .addFailure(backend, this.config.routing.failure_window_seconds * 1000)
      .then((count) => {
        if (count >= this.config.routing.failure_threshold) {
          this.bench(backend, 'failures', this.config.routing.cooldown_seconds, now);
        }
      });
  }

  /** Benches a whole backend (its key was refused) or one of its upstream models (429, unknown model). */
  bench(key: string, reason: BenchReason, seconds: number, now = Date.now()): void {
    const until = now + seconds * 1000;
    const current = this.store.get(key, now);
    this.store.bench(key, { until, reason });
    if (!current || current.until < until) {
      this.logger.warn(
        `${key} benched for ${Math.round(seconds)}s (${reason}), until ${new Date(until).toISOString()}`,
      );
    }
  }

  /** Runs one probe round now; resolves when every probe has answered. */
  async probeAll(): Promise<void> {
    if (this.probing) {
      return;
    }
    this.probing = true;
    const interval = this.config.routing.health_interval_seconds;
    const timeout = Math.min(5000, interval * 1000);
    try {
      await Promise.all(
        this.registry
          .all()
          .filter((b) => b.configured)
          .map(async (b) => {
            if (await b.probe(timeout)) {
              // Reachable: lifts an unreachable or failure bench, never a rate limit.
              this.failing.delete(b.name);
              this.store.resetFailures(b.name);
              this.store.lift(b.name, LIFTED_BY_SUCCESS);
              this.setReach(b.name, 'available');
            } else {
              this.setReach(b.name, 'unreachable');
              this.bench(b.name, 'unreachable', interval);
            }
          }),
      );
    } finally {
      this.probing = false;
    }
  }

  private setReach(name: string, reach: 'available' | 'unreachable'): void {
    const before = this.reach.get(name);
    if (before !== reach) {
      this.reach.set(name, reach);
      this.logger.log(`backend ${name}: ${before ?? 'unknown'} → ${reach}`);
    }
  }
}

function view(bench: Bench): BenchView {
  return { until: new Date(bench.until).toISOString(), reason: bench.reason };
}
