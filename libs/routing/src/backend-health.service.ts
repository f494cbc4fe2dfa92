import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import { BackendStatusSource, type BackendStatus } from '@app/catalog';
import { GATEWAY_CONFIG, type GatewayConfig } from '@app/config';
import { BackendRegistry } from './backend-registry';

interface Circuit {
  status: BackendStatus;
  failures: number;
  benchedUntil: number;
}

/**
 * Per-backend circuit: consecutive failures bench a backend (skipped fast) for a cooldown; a 429's
 * Retry-After or a wrong key/model benches it at once. Active probes on unbilled endpoints every
 * BACKEND_HEALTH_INTERVAL_SECONDS; a successful probe closes the circuit immediately, so traffic
 * returns to the local backend as soon as it is back.
 */
@Injectable()
export class BackendHealthService
  extends BackendStatusSource
  implements OnApplicationBootstrap, OnModuleDestroy
{
  private readonly logger = new Logger('BackendHealth');
  private readonly circuits = new Map<string, Circuit>();
  private timer?: NodeJS.Timeout;
  private probing = false;

  constructor(
    private readonly registry: BackendRegistry,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {
    super();
    for (const backend of registry.all()) {
      this.circuits.set(backend.name, {
        status: backend.configured ? 'unknown' : 'not_configured',
        failures: 0,
        benchedUntil: 0,
      });
    }
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

  statusOf(name: string): BackendStatus {
    const circuit = this.circuits.get(name);
    if (!circuit) {
      return 'unknown';
    }
    if (circuit.status === 'cooldown' && circuit.benchedUntil <= Date.now()) {
      return 'unknown';
    }
    return circuit.status;
  }

  /** Whether the fallback loop should try this backend now. */
  isUsable(name: string): boolean {
    const circuit = this.circuits.get(name);
    return (
      circuit !== undefined &&
      circuit.status !== 'not_configured' &&
      circuit.benchedUntil <= Date.now()
    );
  }

  /** Seconds until the soonest benched backend among these comes back (for Retry-After). */
  retryAfterSeconds(names: readonly string[]): number {
    const waits = names
      .map((n) => this.circuits.get(n)?.benchedUntil ?? 0)
      .filter((t) => t > Date.now())
      .map((t) => Math.ceil((t - Date.now()) / 1000));
    return waits.length > 0
      ? Math.max(1, Math.min(...waits))
      : Math.max(1, this.config.routing.health_interval_seconds);
  }

  recordSuccess(name: string): void {
    this.update(name, { status: 'available', failures: 0, benchedUntil: 0 });
  }

  /** A failed call: unreachable backends show as such at once; the circuit opens after the threshold. */
  recordFailure(name: string, unreachable: boolean): void {
    const circuit = this.circuits.get(name);
    if (!circuit) {
      return;
    }
    const failures = circuit.failures + 1;
    const open = failures >= this.config.routing.failure_threshold;
    this.update(name, {
      failures,
      status: unreachable ? 'unreachable' : circuit.status,
      benchedUntil: open
        ? Date.now() + this.config.routing.cooldown_seconds * 1000
        : circuit.benchedUntil,
    });
  }

  /** Bench at once: a 429 with its Retry-After, or a wrong key or model on the backend's side. */
  bench(name: string, seconds = this.config.routing.cooldown_seconds): void {
    this.update(name, { status: 'cooldown', benchedUntil: Date.now() + seconds * 1000 });
  }

  /** Runs one probe round now; resolves when every probe has answered. */
  async probeAll(): Promise<void> {
    if (this.probing) {
      return;
    }
    this.probing = true;
    const timeout = Math.min(5000, this.config.routing.health_interval_seconds * 1000);
    try {
      await Promise.all(
        this.registry
          .all()
          .filter((b) => b.configured)
          .map(async (b) => {
            const ok = await b.probe(timeout);
            if (ok) {
              this.recordSuccess(b.name);
            } else {
              this.update(b.name, {
                status: 'unreachable',
                benchedUntil: Date.now() + this.config.routing.health_interval_seconds * 1000,
              });
            }
          }),
      );
    } finally {
      this.probing = false;
    }
  }

  private update(name: string, patch: Partial<Circuit>): void {
    const circuit = this.circuits.get(name);
    if (!circuit || circuit.status === 'not_configured') {
      return;
    }
    const before = circuit.status;
    Object.assign(circuit, patch);
    if (before !== circuit.status) {
      this.logger.log(`backend ${name}: ${before} → ${circuit.status}`);
    }
  }
}
