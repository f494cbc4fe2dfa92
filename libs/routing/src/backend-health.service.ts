import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import {
  BackendStatusSource,
  type BackendState,
  type BackendStatus,
  type BenchView,
} from '@app/catalog';
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
 * BACKEND_HEALTH_INTERVAL_SECONDS. Every state change of a backend or a benched pair is logged
 * once and reported to {@link BackendStatusSource.onTransition} listeners, including a bench
 * running out (a timer at its end) and changes another replica made (seen at each probe round).
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
  /** The state last reported of each backend and of each benched (backend, model) pair. */
  private readonly seen = new Map<string, BackendStatus>();
  /** A timer per bench in force, to report its end when it runs out. */
  private readonly expiries = new Map<string, NodeJS.Timeout>();

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
    this.expiries.forEach((timer) => clearTimeout(timer));
    this.expiries.clear();
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
      this.watch(backend);
    }
  }

  /** A call the backend failed. A refused connection benches it as unreachable at once. */
  recordFailure(backend: string, unreachable: boolean): void {
    this.failing.add(backend);
    const now = Date.now();
    if (unreachable) {
      this.bench(backend, 'unreachable', this.config.routing.health_interval_seconds, now);
      this.setReach(backend, 'unreachable');
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
    this.store.bench(key, { until: now + seconds * 1000, reason });
    this.watch(key);
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
              this.watch(b.name);
            } else {
              this.bench(b.name, 'unreachable', interval);
              this.setReach(b.name, 'unreachable');
            }
          }),
      );
      // Benches set or lifted by another replica show up here.
      for (const key of new Set([...this.seen.keys(), ...this.store.benches().keys()])) {
        this.watch(key);
      }
    } finally {
      this.probing = false;
    }
  }

  private setReach(name: string, reach: 'available' | 'unreachable'): void {
    if (this.reach.get(name) !== reach) {
      this.reach.set(name, reach);
      this.watch(name);
    }
  }

  /** Reports `key`'s state (a backend, or a `backend|model` pair) if it changed since last seen. */
  private watch(key: string): void {
    const bar = key.indexOf('|');
    const backend = bar < 0 ? key : key.slice(0, bar);
    const model = bar < 0 ? undefined : key.slice(bar + 1);
    if (!this.configured.has(backend)) {
      return;
    }
    const now = Date.now();
    const bench = this.store.get(key, now);
    this.expireAt(key, bench?.until, now);
    const state: BackendStatus =
      model === undefined ? this.stateOf(backend).status : bench ? 'benched' : 'available';
    const before = this.seen.get(key) ?? (model === undefined ? 'unknown' : 'available');
    if (state === before) {
      return;
    }
    if (model !== undefined && state === 'available') {
      this.seen.delete(key);
    } else {
      this.seen.set(key, state);
    }
    const what = model === undefined ? `backend ${backend}` : `backend ${backend} model ${model}`;
    if (bench) {
      this.logger.warn(
        `${what}: ${before} → ${state} (${bench.reason}) until ${new Date(bench.until).toISOString()}`,
      );
    } else if (state === 'unreachable') {
      this.logger.warn(`${what}: ${before} → ${state}`);
    } else if (before === 'benched' || before === 'unreachable') {
      this.logger.warn(`${what}: back, ${before} → ${state}`);
    } else {
      this.logger.log(`${what}: ${before} → ${state}`);
    }
    this.emitTransition({
      backend,
      state,
      ...(model !== undefined && { model }),
      ...(bench && { reason: bench.reason }),
    });
  }

  /** Looks again when the bench on `key` runs out, so its end is reported when it happens. */
  private expireAt(key: string, until: number | undefined, now: number): void {
    clearTimeout(this.expiries.get(key));
    if (until === undefined) {
      this.expiries.delete(key);
      return;
    }
    const timer = setTimeout(
      () => {
        this.expiries.delete(key);
        this.watch(key);
      },
      until - now + 5,
    );
    timer.unref();
    this.expiries.set(key, timer);
  }
}

function view(bench: Bench): BenchView {
  return { until: new Date(bench.until).toISOString(), reason: bench.reason };
}
