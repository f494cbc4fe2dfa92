import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '@app/auth';
import { GATEWAY_CONFIG, type GatewayConfig, type KeyLimits } from '@app/config';
import { estimatePromptTokens, requestedCompletion } from '@app/constraints';
import type { ChatCompletionRequest } from '@app/contracts';
import { LimitStore, type Adjustment, type RuleStanding, type SlotLease } from '@app/store';
import type { RequestRecord } from '@app/telemetry';
import { LimitPlan, type PlannedRule } from './limit-plan';
import { LimitsUnavailableError, QuotaExceededError, RateLimitExceededError } from './limit.error';
import { reportRateLimits, type RateLimitView } from './rate-limit-headers';

/** TelemetryMiddleware, first on every request, gives it a record; the chat service fills its usage. */
type LimitedRequest = IncomingMessage & { record?: RequestRecord };

/**
 * A limited request's ticket, kept on its response: a WeakMap entry per request made every
 * scavenge walk an ephemeron table as large as the requests in flight.
 */
const TICKET = Symbol('limits.ticket');
type TicketedResponse = ServerResponse & { [TICKET]?: Ticket };
const ticketOf = (res: ServerResponse): Ticket | undefined => (res as TicketedResponse)[TICKET];

/**
 * What one request holds and owes: its slots, the token rules it charged with its estimate; and
 * the per-minute standings its response reports.
 */
class Ticket implements RateLimitView {
  readonly leases: SlotLease[] = [];
  charged: Adjustment['rule'][] = [];
  estimate = 0;
  settled = false;
  requests?: RuleStanding;
  tokens?: RuleStanding;
}

/**
 * Per-key limits on the request path, in two steps. {@link admitKey} runs after auth and before
 * the body is read: the key's request rate and concurrency are charged, and a key whose token rate
 * or budget is already spent is refused without reading its body. {@link admitModel} runs once the
 * alias and the prompt are known: the alias's (and its groups') limits, and every token limit
 * charged with the estimate (prompt estimate + the completion tokens asked for). When the response
 * ends, however it ends, the slots are handed back exactly once and the estimate is settled on the
 * real usage. Keys without limits cost nothing here.
 */
@Injectable()
export class LimitsService {
  private readonly plans = new WeakMap<KeyLimits, LimitPlan>();
  private readonly groups: Readonly<Record<string, readonly string[]>>;

  constructor(
    private readonly store: LimitStore,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    this.groups = config.limits.groups;
  }

  /** The compiled limits of a caller, if it has any. */
  planFor(principal: Principal): LimitPlan | undefined {
    const limits = principal.limits;
    if (!limits) {
      return undefined;
    }
    let plan = this.plans.get(limits);
    if (!plan) {
      plan = new LimitPlan(principal.keyName, limits, this.groups);
      this.plans.set(limits, plan);
    }
    return plan;
  }

  /** Before the body: the key's request rate and concurrency; refuses a key whose tokens are spent. */
  async admitKey(principal: Principal, res: ServerResponse): Promise<void> {
    const plan = this.planFor(principal);
    if (!plan || ticketOf(res)) {
      return;
    }
    const ticket = this.open(res);
    const planned = plan.keyRules(Date.now());
    if (planned.length > 0) {
      await this.charge(ticket, planned, res, principal.keyName);
    }
  }

  /** Once the alias and prompt are known: the alias's limits and the token estimate. */
  async admitModel(
    principal: Principal,
    alias: string,
    request: ChatCompletionRequest,
    res: ServerResponse,
  ): Promise<void> {
    const plan = this.planFor(principal);
    if (!plan) {
      return;
    }
    if (!ticketOf(res)) {
      await this.admitKey(principal, res);
    }
    const ticket = ticketOf(res)!;
    const estimate = plan.countsTokens
      ? estimatePromptTokens(request) + requestedCompletion(request)
      : 0;
    const planned = plan.aliasRules(alias, estimate, Date.now());
    if (planned.length === 0) {
      return;
    }
    const tooLarge = planned.find((p) => p.name === 'tokens_per_minute' && estimate > p.rule.limit);
    if (tooLarge) {
      // Refused before any charge; the response still reports where the limits stand.
      const standings = await this.store.standings(planned.map((p) => p.rule));
      reportRateLimits(res, ticket, planned, standings);
      throw new RateLimitExceededError(
        `Request too large: it is estimated at ${estimate} tokens (prompt plus the completion asked for), over ` +
          `${describe(tooLarge, principal.keyName)}; send a shorter prompt or a lower max_tokens.`,
        60_000,
        false,
      );
    }
    await this.charge(ticket, planned, res, principal.keyName);
    ticket.estimate = estimate;
    for (const { rule } of planned) {
      if (rule.kind !== 'slots' && rule.cost > 0) {
        ticket.charged.push(rule);
      }
    }
  }

  /** Where every limit of the caller stands now (charges nothing). */
  async standings(
    principal: Principal,
  ): Promise<Array<{ planned: PlannedRule; standing: RuleStanding }>> {
    const plan = this.planFor(principal);
    if (!plan) {
      return [];
    }
    const planned = plan.allRules(Date.now());
    const standings = await this.store.standings(planned.map((p) => p.rule));
    return planned.map((p, i) => ({ planned: p, standing: standings[i] }));
  }

  private open(res: ServerResponse): Ticket {
    const ticket = new Ticket();
    (res as TicketedResponse)[TICKET] = ticket;
    // After the other close listeners (the SSE relay records its usage on close).
    res.once('close', () => process.nextTick(() => this.settle(res, ticket)));
    return ticket;
  }

  private async charge(
    ticket: Ticket,
    planned: PlannedRule[],
    res: ServerResponse,
    keyName: string,
  ): Promise<void> {
    const admission = await this.store.admit(planned.map((p) => p.rule));
    if (!admission.ok && 'unavailable' in admission) {
      throw new LimitsUnavailableError();
    }
    reportRateLimits(res, ticket, planned, admission.standings);
    if (!admission.ok) {
      throw refusal(planned[admission.refused], admission.retryAfterMs, keyName);
    }
    if (admission.lease) {
      if (ticket.settled) {
        void this.store.settle([], admission.lease); // The response ended while we waited.
      } else {
        ticket.leases.push(admission.lease);
      }
    }
  }

  /** Once per request: the slots go back, and the token rules get actual − estimate. */
  private settle(res: ServerResponse, ticket: Ticket): void {
    if (ticket.settled) {
      return;
    }
    ticket.settled = true;
    const usage = (res.req as LimitedRequest).record?.usage;
    const actual = usage
      ? usage.input + usage.output
      : res.statusCode >= 400
        ? 0 // Refused or failed before anything was served: nothing to bill.
        : ticket.estimate; // Served, but the upstream reported no usage: the estimate stands.
    const delta = actual - ticket.estimate;
    const adjustments = delta === 0 ? [] : ticket.charged.map((rule) => ({ rule, delta }));
    const [first, ...rest] = ticket.leases;
    void this.store.settle(adjustments, first);
    for (const lease of rest) {
      void this.store.settle([], lease);
    }
  }
}

function describe({ name, rule, scope }: PlannedRule, keyName: string): string {
  const where =
    scope.name === '*'
      ? ''
      : scope.aliases
        ? ` for the alias group '${scope.name}'`
        : ` for model '${scope.name}'`;
  return `${name} (${rule.limit}) of key '${keyName}'${where}`;
}

function refusal(planned: PlannedRule, retryAfterMs: number, keyName: string): Error {
  const what = describe(planned, keyName);
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  if (planned.rule.kind === 'budget') {
    const resets = new Date(planned.rule.endsAt).toISOString();
    return new QuotaExceededError(
      `Token budget spent: ${what} is used up until ${resets}.`,
      retryAfterMs,
    );
  }
  if (planned.rule.kind === 'slots') {
    return new RateLimitExceededError(
      `Too many requests in flight: ${what} are already running; retry after ${seconds}s.`,
      retryAfterMs,
    );
  }
  return new RateLimitExceededError(
    `Rate limit reached: ${what}; retry after ${seconds}s.`,
    retryAfterMs,
  );
}
