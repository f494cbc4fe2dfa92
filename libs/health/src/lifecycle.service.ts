import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { Cancellation } from '@app/routing';

export type Phase = 'starting' | 'ready' | 'draining' | 'closed';

/** Where the process is in its life, and how many requests are in flight. */
@Injectable()
export class LifecycleService implements OnApplicationBootstrap {
  private phase: Phase = 'starting';
  private refusing = false;
  private inflight = 0;
  private idleWaiters: Array<() => void> = [];
  /** Every stream in flight listens for the end of the grace period. */
  private readonly closer = new Cancellation();

  /** Aborted at the end of the shutdown grace period: whatever still streams must end now. */
  get closing(): Cancellation {
    return this.closer;
  }

  /** Ends what is still in flight (streams close with a `shutting_down` error event). */
  closeInFlight(): void {
    this.closer.cancel();
  }

  onApplicationBootstrap(): void {
    if (this.phase === 'starting') {
      this.phase = 'ready';
    }
  }

  get state(): Phase {
    return this.phase;
  }

  get draining(): boolean {
    return this.phase === 'draining' || this.phase === 'closed';
  }

  /** After the shutdown delay: requests that still arrive (kept-alive connections) get 503 shutting_down. */
  get refusingNewRequests(): boolean {
    return this.refusing;
  }

  get inflightCount(): number {
    return this.inflight;
  }

  beginDrain(): void {
    this.phase = 'draining';
  }

  refuseNewRequests(): void {
    this.refusing = true;
  }

  markClosed(): void {
    this.phase = 'closed';
  }

  requestStarted(): void {
    this.inflight++;
  }

  requestFinished(): void {
    this.inflight--;
    if (this.inflight === 0) {
      this.idleWaiters.splice(0).forEach((resolve) => resolve());
    }
  }

  /** Resolves when no request is in flight, or after `timeoutMs`; says which. */
  whenIdle(timeoutMs: number): Promise<boolean> {
    if (this.inflight === 0) {
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}
