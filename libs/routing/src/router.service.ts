import type { IncomingMessage } from 'node:http';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { CatalogService, type ResolvedHop } from '@app/catalog';
import { GATEWAY_CONFIG, type DataPolicy, type GatewayConfig, type ModelEntry } from '@app/config';
import {
  applyConstraints,
  applyHopRules,
  contextLengthExceeded,
  estimatePromptTokens,
  fitsContextWindow,
} from '@app/constraints';
import {
  ClientClosedError,
  ConstraintViolationError,
  GatewayError,
  LocalBackendUnavailableError,
  ModelNotLocalError,
  UpstreamRateLimitedError,
  UpstreamUnavailableError,
  type ChatCompletionRequest,
} from '@app/contracts';
import { attemptSpanId, upstreamTraceHeaders, type RequestRecord } from '@app/telemetry';
import { BackendHealthService, modelKey } from './backend-health.service';
import { BackendRegistry } from './backend-registry';
import { TransportError } from './backends/upstream-transport';
import type { Cancellation } from './cancellation';
import { classifyErrorBody, classifyStatus, type HopVerdict } from './failover.rule';
import { Redactor } from './redaction';
import { errorOf, parseJson, toClientError } from './upstream-body';
import { readUpstreamBody, SseReader, UpstreamReadError, type ReadLimits } from './upstream-reader';

export interface DispatchContext {
  requestId: string;
  /** Cancelled when the client goes away: the upstream call is cancelled at once. */
  signal: Cancellation;
  /** The request's lifecycle record: every upstream attempt is added to it. */
  record?: RequestRecord;
  /** `local_only`: only hops whose data stays on the DGX exist for this request. */
  dataPolicy?: DataPolicy;
}

/** A hop this request could not use, and why (`data_policy`, `context_window`). */
export interface SkippedHop {
  backend: string;
  reason: 'data_policy' | 'context_window';
}

interface Served {
  hop: ResolvedHop;
  /** Constraint adjustments applied for the serving hop (`x-rust-api-applied`). */
  applied: string[];
  /** Backends that failed (or were benched) before the one that served. */
  fallbacks: string[];
  /** Hops left out for this request before any call (`x-gateway-skipped`). */
  skipped: SkippedHop[];
}

export interface JsonDispatch extends Served {
  kind: 'json';
  body: Record<string, unknown>;
}

export interface StreamDispatch extends Served {
  kind: 'stream';
  /** The upstream's events, the first one already checked; attach a sink to relay them. */
  events: SseReader;
  /**
   * The gateway asked the upstream for a usage chunk the client did not ask for: the relay reads
   * it and keeps it from the client, who sees exactly the stream it asked for.
   */
  usageAdded: boolean;
}

type Next = {
  action: 'next';
  verdict: Extract<HopVerdict, { action: 'next' }>;
  /** The upstream's own refusal, answered if no later hop can serve (context_length_exceeded). */
  error?: GatewayError;
};
type Attempt =
  | Omit<JsonDispatch, keyof Served>
  | Omit<StreamDispatch, keyof Served | 'usageAdded'>
  | Next
  | { action: 'final'; error: GatewayError };

interface Prepared {
  hops: PreparedHop[];
  skipped: SkippedHop[];
}

interface PreparedHop {
  hop: ResolvedHop;
  /** The request as this hop's member constraints left it; serialised only if the hop is tried. */
  request: ChatCompletionRequest;
  applied: string[];
}

const next = (reason: string, penalty: Next['verdict']['penalty'] = 'failure'): Next => ({
  action: 'next',
  verdict: { action: 'next', penalty, reason },
});

/**
 * The one fallback loop: each hop of the alias's chain in order, with that hop's member constraints.
 * Moves on for backend trouble (network, timeouts, 5xx, 429, upstream auth/model errors, error
 * bodies and error events, malformed or oversized answers); returns the client's own errors (400,
 * 413, 422, policy refusals) at once; stops, blaming nobody, when the client leaves. For streams
 * the decision is taken on the first event, before any byte reaches the client.
 */
@Injectable()
export class RouterService {
  private readonly logger = new Logger('Router');
  private readonly redactor: Redactor;

  constructor(
    private readonly catalog: CatalogService,
    private readonly registry: BackendRegistry,
    private readonly health: BackendHealthService,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {
    this.redactor = new Redactor(config.backends.map((b) => b.api_key));
  }

  async dispatch(
    entry: ModelEntry,
    request: ChatCompletionRequest,
    ctx: DispatchContext,
  ): Promise<JsonDispatch | StreamDispatch> {
    const usageAdded = request.stream === true && request.stream_options?.include_usage !== true;
    const upstreamRequest = usageAdded
      ? Object.assign({}, request, {
          stream_options: Object.assign({}, request.stream_options, { include_usage: true }),
        })
      : request;
    const localOnly = ctx.dataPolicy === 'local_only';
    const { hops, skipped } = this.prepare(entry, upstreamRequest, localOnly);
    const deadline = Date.now() + this.config.routing.total_timeout_ms;
    const fallbacks: string[] = [];
    const passed: ResolvedHop[] = [];
    let onlyRateLimited = true;
    // An upstream's context_length_exceeded: hops no larger than that one are skipped.
    let tooLong: { window: number; error: GatewayError } | undefined;
    for (const prepared of hops) {
      const { backend, model } = prepared.hop;
      if (tooLong && prepared.hop.contextWindow <= tooLong.window) {
        skipped.push({ backend, reason: 'context_window' });
        continue;
      }
      const skip = this.health.skipReason(backend, model);
      if (skip !== undefined) {
        onlyRateLimited &&= skip === 'rate_limited';
        ctx.record?.attempts.push({ backend, model, outcome: `skipped_${skip}`, ms: 0 });
        fallbacks.push(backend);
        passed.push(prepared.hop);
        continue;
      }
      if (Date.now() >= deadline) {
        onlyRateLimited = false;
        break;
      }
      const startedAt = performance.now();
      const spanId = attemptSpanId(ctx.record?.trace);
      const outcome = await this.attempt(prepared, ctx, deadline, spanId);
      const outcomeName =
        'kind' in outcome
          ? 'served'
          : outcome.action === 'final'
            ? 'refused'
            : outcome.verdict.reason;
      ctx.record?.attempts.push({
        backend,
        model,
        outcome: outcomeName,
        ms: performance.now() - startedAt,
        startedAt,
        ...(spanId !== undefined && { spanId }),
      });
      if ('kind' in outcome) {
        if (outcome.kind === 'json') {
          // A stream has succeeded only once it completes: the relay reports how it ended.
          this.health.recordSuccess(backend);
        }
        const { hop, applied } = prepared;
        return outcome.kind === 'stream'
          ? { kind: 'stream', events: outcome.events, hop, applied, fallbacks, skipped, usageAdded }
          : { kind: 'json', body: outcome.body, hop, applied, fallbacks, skipped };
      }
      if (outcome.action === 'final') {
        throw outcome.error;
      }
      if (ctx.signal.aborted) {
        throw new ClientClosedError();
      }
      if (outcome.error) {
        // Not the backend's failure: this build's window is too small for the prompt.
        tooLong = { window: prepared.hop.contextWindow, error: outcome.error };
        fallbacks.push(backend);
        continue;
      }
      onlyRateLimited &&= outcome.verdict.reason === 'rate_limited';
      this.penalise(prepared.hop, outcome.verdict);
      this.logger.warn(
        `[${ctx.requestId}] ${entry.alias}: ${backend} failed (${outcome.verdict.reason}), trying next hop`,
      );
      fallbacks.push(backend);
      passed.push(prepared.hop);
    }
    if (tooLong && passed.length === 0) {
      throw tooLong.error;
    }
    const tried = [...new Set(fallbacks)];
    const retryAfter = this.health.retryAfterSeconds(passed);
    if (onlyRateLimited && passed.length > 0) {
      throw new UpstreamRateLimitedError(tried, retryAfter);
    }
    if (localOnly) {
      throw new LocalBackendUnavailableError(retryAfter);
    }
    throw new UpstreamUnavailableError(
      tried,
      retryAfter,
      hops.some((h) => this.health.skipReason(h.hop.backend, h.hop.model) === undefined)
        ? 502
        : 503,
    );
  }

  /**
   * Decides which hops exist for this request, then shapes the request for each: policy first
   * (data locality), then the member's constraints, the hop's own parameters and output cap, and
   * last whether the hop's build can hold the prompt. A hop the request cannot use is left out;
   * when none is left, the first reason is the answer.
   */
  private prepare(entry: ModelEntry, request: ChatCompletionRequest, localOnly: boolean): Prepared {
    const chain = this.catalog.chain(entry.alias);
    if (localOnly && !chain.some((hop) => hop.local)) {
      throw new ModelNotLocalError(entry.alias);
    }
    const outer = applyConstraints(entry, request);
    const prompt = estimatePromptTokens(request);
    let firstViolation: ConstraintViolationError | undefined;
    let largestWindow = 0;
    const hops: PreparedHop[] = [];
    const skipped: SkippedHop[] = [];
    for (const hop of chain) {
      if (localOnly && !hop.local) {
        skipped.push({ backend: hop.backend, reason: 'data_policy' });
        continue;
      }
      try {
        // A composite's own rules apply first, then the member's (a fall-back to gpt-image gets its floor).
        const inner = hop.member === entry ? outer : applyConstraints(hop.member, outer.request);
        const shaped = applyHopRules(hop, inner.request);
        largestWindow = Math.max(largestWindow, hop.contextWindow);
        if (!fitsContextWindow(hop.contextWindow, prompt, shaped.request)) {
          skipped.push({ backend: hop.backend, reason: 'context_window' });
          continue;
        }
        hops.push({
          hop,
          request: shaped.request,
          applied: mergeApplied(mergeApplied(outer.applied, inner.applied), shaped.applied),
        });
      } catch (err) {
        if (!(err instanceof ConstraintViolationError)) {
          throw err;
        }
        firstViolation ??= err;
      }
    }
    if (hops.length === 0) {
      if (firstViolation) {
        throw firstViolation;
      }
      if (largestWindow > 0) {
        throw contextLengthExceeded(largestWindow, prompt, outer.request);
      }
    }
    return { hops, skipped };
  }

  private async attempt(
    { hop, request }: PreparedHop,
    ctx: DispatchContext,
    deadline: number,
    spanId: string | undefined,
  ): Promise<Attempt> {
    const backend = this.registry.get(hop.backend);
    const body = Buffer.from(
      JSON.stringify(Object.assign({}, request, { model: backend.upstreamModel(hop.model) })),
    );
    const now = Date.now();
    // One budget for the hop's answer to start: response headers, and a stream's first event.
    const hopDeadline = Math.min(deadline, now + this.responseBudgetMs(hop.member));
    let upstream: IncomingMessage;
    try {
      upstream = await backend.chat(body, {
        requestId: ctx.requestId,
        connectTimeoutMs: Math.min(this.config.routing.connect_timeout_ms, hopDeadline - now),
        headersTimeoutMs: hopDeadline - now,
        signal: ctx.signal,
        trace: upstreamTraceHeaders(ctx.record?.trace, spanId),
      });
    } catch (err) {
      if (err instanceof TransportError) {
        // A reset on a pooled keep-alive socket is how a stopped server usually shows up first.
        const unreachable = err.kind !== 'headers_timeout' && err.kind !== 'aborted';
        return next(err.kind, unreachable ? 'unreachable' : 'failure');
      }
      throw err;
    }
    const status = upstream.statusCode ?? 502;
    const isSse = /^text\/event-stream/i.test(upstream.headers['content-type'] ?? '');
    const limits: ReadLimits = {
      maxBytes: this.config.routing.upstream_max_body_bytes,
      idleMs: this.config.routing.stream_idle_timeout_ms,
      deadline,
    };
    if (status >= 200 && status < 300 && isSse) {
      if (request.stream !== true) {
        upstream.destroy();
        return next('unexpected_stream');
      }
      return this.firstEvent(upstream, ctx, hopDeadline);
    }
    let raw: Buffer;
    try {
      raw = await readUpstreamBody(upstream, limits, ctx.signal);
    } catch (err) {
      return next(err instanceof UpstreamReadError ? err.kind : 'body_read_failed');
    }
    const parsed = parseJson(raw);
    const error = errorOf(parsed);
    let verdict = classifyStatus(status, headerOf(upstream, 'retry-after'), error);
    if (verdict.action === 'serve') {
      if (error) {
        verdict = classifyErrorBody(error);
      } else if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        return next('invalid_body');
      } else if (request.stream === true) {
        // A JSON answer to a stream request: what the client asked for never came.
        return next('unexpected_json');
      } else {
        return { kind: 'json', body: parsed as Record<string, unknown> };
      }
    }
    if (verdict.action === 'final') {
      const refusal = toClientError(status, error, this.redactor);
      // Another hop's build may have a larger window: a reason to move on, not to give up.
      return refusal.code === 'context_length_exceeded'
        ? {
            action: 'next',
            verdict: { action: 'next', penalty: 'failure', reason: refusal.code },
            error: refusal,
          }
        : { action: 'final', error: refusal };
    }
    return verdict.action === 'serve' ? next('invalid_body') : { action: 'next', verdict };
  }

  /**
   * Waits for a stream's first event under the hop's deadline, the stream timers and the client's
   * abort: an error there (OpenRouter sends an error chunk with HTTP 200) still allows failover.
   */
  private async firstEvent(
    upstream: IncomingMessage,
    ctx: DispatchContext,
    hopDeadline: number,
  ): Promise<Attempt> {
    const { routing } = this.config;
    const events = new SseReader(
      upstream,
      {
        maxBytes: routing.stream_max_bytes,
        idleMs: routing.stream_idle_timeout_ms,
        deadline: hopDeadline,
        maxEventChars: routing.stream_max_event_bytes,
        maxDurationMs: routing.stream_max_duration_ms,
      },
      ctx.signal,
    );
    let first: string;
    try {
      first = await events.firstEvent();
    } catch (err) {
      return next(err instanceof UpstreamReadError ? err.kind : 'stream_failed');
    }
    const parsed = first.charCodeAt(0) === 0x7b /* { */ ? parseJson(first) : undefined;
    const error = errorOf(parsed);
    if (typeof parsed !== 'object' || parsed === null || error) {
      events.cancel();
      const verdict = error ? classifyErrorBody(error) : undefined;
      return verdict?.action === 'next'
        ? { action: 'next', verdict }
        : next(error ? 'error_event' : 'invalid_stream');
    }
    return { kind: 'stream', events };
  }

  /** Benches what the verdict is about: the backend, or only the (backend, model) pair. */
  private penalise(hop: ResolvedHop, verdict: Next['verdict']): void {
    if (verdict.penalty !== 'bench') {
      this.health.recordFailure(hop.backend, verdict.penalty === 'unreachable');
      return;
    }
    const seconds = verdict.cooldownSeconds ?? this.config.routing.cooldown_seconds;
    if (verdict.reason === 'rate_limited' || verdict.reason === 'model_not_found') {
      this.health.bench(modelKey(hop.backend, hop.model), verdict.reason, seconds);
    } else {
      this.health.bench(hop.backend, 'auth', seconds);
    }
  }

  /** Time-to-answer budget: the model's explicit value, else its typical seconds with generous headroom. */
  responseBudgetMs(member: ModelEntry): number {
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
