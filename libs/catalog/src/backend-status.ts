/** Live state of a routing destination, as `/v1/info` and `/readyz` show it. */
export type BackendStatus = 'available' | 'unreachable' | 'cooldown' | 'not_configured' | 'unknown';

/** Implemented by the routing lib, which owns backend health; the catalog only shows it. */
export abstract class BackendStatusSource {
  abstract statusOf(name: string): BackendStatus;
}
