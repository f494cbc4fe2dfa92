/** Live state of a routing destination, as `/v1/info` and `/readyz` show it. */
export type BackendStatus = 'available' | 'unreachable' | 'benched' | 'not_configured' | 'unknown';

/** A bench in force on a backend or on one of its upstream models. */
export interface BenchView {
  /** ISO time at which the bench ends. */
  until: string;
  reason: string;
}

/** What `/v1/info` and `/readyz` tell about one backend. */
export interface BackendState {
  status: BackendStatus;
  /** The backend-wide bench in force (status `benched` or `unreachable`), if any. */
  bench?: BenchView;
  /** Upstream models of this backend benched on their own (e.g. rate-limited), by model id. */
  benchedModels?: Record<string, BenchView>;
}

/** A backend, or one of its upstream models, changed state (benched, unreachable, back). */
export interface BackendTransition {
  backend: string;
  /** The upstream model, when only that (backend, model) pair changed. */
  model?: string;
  /** The new state; for a model, `benched` or `available`. */
  state: BackendStatus;
  /** Why it is benched, when it is. */
  reason?: string;
}

/** Implemented by the routing lib, which owns backend health; the catalog only shows it. */
export abstract class BackendStatusSource {
  private readonly listeners: Array<(transition: BackendTransition) => void> = [];

  abstract stateOf(name: string): BackendState;

  /** Calls `listener` on every state change, once per change (telemetry counts them). */
  onTransition(listener: (transition: BackendTransition) => void): void {
    this.listeners.push(listener);
  }

  protected emitTransition(transition: BackendTransition): void {
    for (const listener of this.listeners) {
      listener(transition);
    }
  }

  statusOf(name: string): BackendStatus {
    return this.stateOf(name).status;
  }
}
