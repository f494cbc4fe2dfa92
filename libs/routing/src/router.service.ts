import type { IncomingMessage } from 'node:http';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { CatalogService, type ResolvedHop } from '@app/catalog';
import { GATEWAY_CONFIG, type GatewayConfig, type ModelEntry } from '@app/config';
import { applyConstraints } from '@app/constraints';
import {
  ConstraintViolationError,
  GatewayError,
  UpstreamUnavailableError,
  type ChatCompletionRequest,
} from '@app/contracts';
import { BackendHealthService } from './backend-health.service';
import { BackendRegistry } from './backend-registry';
import { TransportError } from './backends/upstream-transport';
import { classifyErrorBody, classifyStatus, type HopVerdict } from './failover.rule';
import { errorOf, parseJson, readBody, toClientError } from './upstream-body';

export interface DispatchContext {
  requestId: string;
  /** Aborted when the client goes away: the upstream call is cancelled at once. */
  signal: AbortSignal;
}

interface Served {
  hop: ResolvedHop;
  /** Constraint adjustments applied for the serving hop (`x-rust-api-applied`). */
  applied: string[];
  /** Backends that failed (or were benched) before the one that served. */
  fallbacks: string[];
}

export interface JsonDispatch extends Served {
  kind: 'json';
  body: Record<string, unknown>;
}

export interface StreamDispatch extends Served {
  kind: 'stream';
  upstream: IncomingMessage;
  /** Bytes already read from the upstream (its first event), to be relayed first. */
  head: Buffer;
}

interface PreparedHop {
  hop: ResolvedHop;
  /** The request as this hop's member constraints left it; serialised only if the hop is tried. */
  request: ChatCompletionRequest;
  applied: string[];
}

/**
 * The one fallback loop: each hop of the alias's chain in order, with that hop's member constraints.
 * Moves on for backend trouble (network, timeouts, 5xx, 429, upstream auth/model errors, 200 error
 * bodies); returns the client's own errors (400, 413, 422, policy refusals) at once. For streams the
 * decision is taken before the first byte reaches the client.
 */
@Injectable()
export class RouterService {
  private readonly logger = new Logger('Router');

  constructor(
    private readonly catalog: CatalogService,
    private readonly registry: BackendRegistry,
    private readonly health: BackendHealthService,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  async dispatch(
    entry: ModelEntry,
    request: ChatCompletionRequest,
    ctx: DispatchContext,
  ): Promise<JsonDispatch | StreamDispatch> {
    const hops = this.prepare(entry, request);
    const deadline = Date.now() + this.config.routing.total_timeout_ms;
    const fallbacks: string[] = [];
    for (const prepared of hops) {
      const name = prepared.hop.backend;
      if (!this.health.isUsable(name)) {
        fallbacks.push(name);
        continue;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0 || ctx.signal.aborted) {
        break;
      }
      const outcome = await this.attempt(prepared, ctx, remaining);
      if ('kind' in outcome) {
        this.health.recordSuccess(name);
        return { ...outcome, hop: prepared.hop, applied: prepared.applied, fallbacks };
      }
      if (outcome.action === 'final') {
        throw outcome.error;
      }
      this.penalise(name, outcome.verdict);
      this.logger.warn(
        `[${ctx.requestId}] ${entry.alias}: ${name} failed (${outcome.verdict.reason}), trying next hop`,
      );
      fallbacks.push(name);
    }
    const tried = [...new Set(fallbacks)];
    throw new UpstreamUnavailableError(
      tried,
      this.health.retryAfterSeconds(tried),
      hops.some((h) => this.health.isUsable(h.hop.backend)) ? 502 : 503,
    );
  }

  /** Applies each hop's member constraints up front; a hop its member cannot take is left out. */
  private prepare(entry: ModelEntry, request: ChatCompletionRequest): PreparedHop[] {
    const outer = applyConstraints(entry, request);
    let firstViolation: ConstraintViolationError | undefined;
    const prepared: PreparedHop[] = [];
    for (const hop of this.catalog.chain(entry.alias)) {
      try {
        // A composite's own rules apply first, then the member's (a fall-back to gpt-image gets its floor).
        const inner = hop.member === entry ? outer : applyConstraints(hop.member, outer.request);
        prepared.push({
          hop,
          request: inner.request,
          applied: mergeApplied(outer.applied, inner.applied),
        });
      } catch (err) {
        if (!(err instanceof ConstraintViolationError)) {
          throw err;
        }
        firstViolation ??= err;
      }
    }
    if (prepared.length === 0 && firstViolation) {
      throw firstViolation;
    }
    return prepared;
  }

  private async attempt(
    { hop, request }: PreparedHop,
    ctx: DispatchContext,
    remainingMs: number,
  ): Promise<
    | Omit<JsonDispatch, keyof Served>
    | Omit<StreamDispatch, keyof Served>
    | { action: 'next'; verdict: Extract<HopVerdict, { action: 'next' }> }
    | { action: 'final'; error: GatewayError }
  > {
    const backend = this.registry.get(hop.backend);
    const body = Buffer.from(
      JSON.stringify({ ...request, model: backend.upstreamModel(hop.model) }),
    );
    let upstream: IncomingMessage;
    try {
      upstream = await backend.chat(body, {
        requestId: ctx.requestId,
        connectTimeoutMs: Math.min(this.config.routing.connect_timeout_ms, remainingMs),
        headersTimeoutMs: Math.min(this.headersTimeoutMs(hop.member), remainingMs),
        signal: ctx.signal,
      });
    } catch (err) {
      if (err instanceof TransportError) {
        // A reset on a pooled keep-alive socket is how a stopped server usually shows up first.
        const unreachable = err.kind !== 'headers_timeout' && err.kind !== 'aborted';
        return {
          action: 'next',
          verdict: {
            action: 'next',
            penalty: unreachable ? 'unreachable' : 'failure',
            reason: err.kind,
          },
        };
      }
      throw err;
    }
    const isStream = /^text\/event-stream/i.test(upstream.headers['content-type'] ?? '');
    if (
      upstream.statusCode !== undefined &&
      upstream.statusCode >= 200 &&
      upstream.statusCode < 300 &&
      isStream
    ) {
      return this.peekStream(upstream);
    }
    let raw: Buffer;
    try {
      raw = await readBody(upstream, this.config.routing.stream_idle_timeout_ms);
    } catch {
      return {
        action: 'next',
        verdict: { action: 'next', penalty: 'failure', reason: 'body_read_failed' },
      };
    }
    const parsed = parseJson(raw);
    const error = errorOf(parsed);
    const status = upstream.statusCode ?? 502;
    const retryAfter = headerOf(upstream, 'retry-after');
    let verdict = classifyStatus(status, retryAfter, error);
    if (verdict.action === 'serve' && (error || typeof parsed !== 'object' || parsed === null)) {
      verdict = error
        ? classifyErrorBody(error)
        : { action: 'next', penalty: 'failure', reason: 'invalid_body' };
    }
    if (verdict.action === 'serve') {
      return { kind: 'json', body: parsed as Record<string, unknown> };
    }
    if (verdict.action === 'final') {
      return { action: 'final', error: toClientError(status, error) };
    }
    return { action: 'next', verdict };
  }

  /**
   * Reads up to the first complete SSE event: an error event there still allows failover. Plain
   * listeners, not `for await`: leaving an async iterator early destroys the stream being peeked.
   */
  private peekStream(
    upstream: IncomingMessage,
  ): Promise<
    | Omit<StreamDispatch, keyof Served>
    | { action: 'next'; verdict: Extract<HopVerdict, { action: 'next' }> }
  > {
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let text = '';
      const settle = (): void => {
        upstream.off('data', onData);
        upstream.off('end', settle);
        upstream.off('error', settle);
        upstream.pause();
        const firstData = /^data: ?(.*)$/m.exec(text)?.[1];
        const error = firstData?.startsWith('{"error"') ? errorOf(parseJson(firstData)) : undefined;
        if (chunks.length === 0 || error) {
          upstream.destroy();
          const verdict = error ? classifyErrorBody(error) : undefined;
          resolve({
            action: 'next',
            verdict:
              verdict?.action === 'next'
                ? verdict
                : { action: 'next', penalty: 'failure', reason: 'stream_error' },
          });
          return;
        }
        resolve({ kind: 'stream', upstream, head: Buffer.concat(chunks) });
      };
      const onData = (chunk: Buffer): void => {
        chunks.push(chunk);
        text += chunk.toString('utf8');
        if (/\r?\n\r?\n/.test(text) || text.length > 1024 * 1024) {
          settle();
        }
      };
      upstream.on('data', onData);
      upstream.once('end', settle);
      upstream.once('error', settle);
    });
  }

  private penalise(name: string, verdict: Extract<HopVerdict, { action: 'next' }>): void {
    if (verdict.penalty === 'bench') {
      this.health.bench(name, verdict.cooldownSeconds);
    } else {
      this.health.recordFailure(name, verdict.penalty === 'unreachable');
    }
  }

  /** Time-to-headers budget: the model's explicit value, else its typical seconds with generous headroom. */
  headersTimeoutMs(member: ModelEntry): number {
    if (member.headers_timeout_seconds) {
      return member.headers_timeout_seconds * 1000;
    }
    const { headers_timeout_factor, headers_timeout_min_ms } = this.config.routing;
    return Math.max(
      headers_timeout_min_ms,
      member.constraints.typical_response_seconds * headers_timeout_factor * 1000,
    );
  }
}

/** One entry per adjustment name; the later (member) value wins. */
function mergeApplied(outer: string[], inner: string[]): string[] {
  const byName = new Map<string, string>();
  for (const item of [...outer, ...inner]) {
    byName.set(item.split('=')[0], item);
  }
  return [...byName.values()];
}

function headerOf(res: IncomingMessage, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
