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

/** Implemented by the routing lib, which owns backend health; the catalog only shows it. */
export abstract class BackendStatusSource {
  abstract stateOf(name: string): BackendState;

  statusOf(name: string): BackendStatus {
    return this.stateOf(name).status;
  }
}
