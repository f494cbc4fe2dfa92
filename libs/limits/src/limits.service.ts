import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '@app/auth';
import { GATEWAY_CONFIG, type GatewayConfig, type KeyLimits } from '@app/config';
import { estimatePromptTokens, requestedCompletion } from '@app/constraints';
import type { ChatCompletionRequest } from '@app/contracts';
import {
  LimitStore,
  type Admission,
  type CountedRule,
  type RuleStanding,
  type SlotLease,
} from '@app/store';
import type { RequestRecord } from '@app/telemetry';
import { LimitPlan, type LimitStep, type PlannedRule } from './limit-plan';
import { LimitsUnavailableError, QuotaExceededError, RateLimitExceededError } from './limit.error';
import { reportRateLimits, type RateLimitView } from './rate-limit-headers';

/** TelemetryMiddleware, first on every request, gives it a record; the chat service fills its usage. */
type LimitedRequest = IncomingMessage & { record?: RequestRecord };

/** A limited request's ticket, kept on its response (a WeakMap would be an ephemeron table per scavenge). */
const TICKET = Symbol('limits.ticket');
type TicketedResponse = ServerResponse & { [TICKET]?: Ticket };
const ticketOf = (res: ServerResponse): Ticket | undefined => (res as TicketedResponse)[TICKET];

/**
 * What one request holds and owes: its slots, the token rules it charged with its estimate; and
 * the per-minute standings its response reports.
 */
class Ticket implements RateLimitView {
  readonly leases: SlotLease[] = [];
  charged: readonly CountedRule[] = [];
  estimate = 0;
  settled = false;
  requests?: RuleStanding;
  tokens?: RuleStanding;

  constructor(readonly store: LimitStore) {}
}

/** The response's `close` listener: one function for every request, the ticket found on `this`. */
function onClose(this: TicketedResponse): void {
  // After the other close listeners (the SSE relay records its usage on close).
  process.nextTick(settle, this);
}

/** Once per request: the slots go back, and the token rules get actual − estimate. */
function settle(res: TicketedResponse): void {
  const ticket = res[TICKET];
  if (!ticket || ticket.settled) {
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
  const leases = ticket.leases;
  void ticket.store.settle(adjustments, leases[0]);
  for (let i = 1; i < leases.length; i++) {
    void ticket.store.settle([], leases[i]);
  }
}

/**
 * Per-key limits on the request path, in two steps. {@link admitKey} runs after auth and before
 * the body is read: the key's request rate and concurrency are charged, and a key whose token rate
 * or budget is already spent is refused without reading its body. {@link admitModel} runs once the
 * alias and the prompt are known: the alias's (and its groups') limits, and every token limit
 * charged with the estimate (prompt estimate + the completion tokens asked for). When the response
 * ends, however it ends, the slots are handed back exactly once and the estimate is settled on the
 * real usage. Keys without limits cost nothing here; with the limits in this process's memory, an
 * admission returns at once (no promise, no turn of the event loop).
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

  /**
   * Before the body: the key's request rate and concurrency; refuses a key whose tokens are spent.
   * A promise only while a shared store answers.
   */
  admitKey(principal: Principal, res: ServerResponse): void | Promise<void> {
    const plan = this.planFor(principal);
    if (!plan || ticketOf(res)) {
      return undefined;
    }
    const ticket = new Ticket(this.store);
    (res as TicketedResponse)[TICKET] = ticket;
    res.on('close', onClose);
    const step = plan.keyStep(Date.now());
    return step.rules.length > 0
      ? this.charge(ticket, step, res, principal.keyName, undefined)
      : undefined;
  }

  /**
   * Once the alias and prompt are known: the alias's limits and the token estimate. A promise
   * only while a shared store answers.
   */
  admitModel(
    principal: Principal,
    alias: string,
    request: ChatCompletionRequest,
    res: ServerResponse,
  ): void | Promise<void> {
    const plan = this.planFor(principal);
    if (!plan) {
      return undefined;
    }
    if (!ticketOf(res)) {
      // Reached without the pipeline's LimitsMiddleware: the key's rules first.
      const pending = this.admitKey(principal, res);
      if (pending) {
        return pending.then(() => this.admitAlias(plan, principal.keyName, alias, request, res));
      }
    }
    return this.admitAlias(plan, principal.keyName, alias, request, res);
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

  private admitAlias(
    plan: LimitPlan,
    keyName: string,
    alias: string,
    request: ChatCompletionRequest,
    res: ServerResponse,
  ): void | Promise<void> {
    const ticket = ticketOf(res)!;
    const estimate = plan.countsTokens
      ? estimatePromptTokens(request) + requestedCompletion(request)
      : 0;
    const step = plan.aliasStep(alias, Date.now());
    if (step.rules.length === 0) {
      return undefined;
    }
    const tooLarge = step.tokenRates.find((p) => estimate > p.rule.limit);
    if (tooLarge) {
      return this.refuseTooLarge(ticket, step, res, tooLarge, estimate, keyName);
    }
    return this.charge(ticket, step, res, keyName, estimate);
  }

  /** Refused before any charge; the response still reports where the limits stand. */
  private async refuseTooLarge(
    ticket: Ticket,
    step: LimitStep,
    res: ServerResponse,
    tooLarge: PlannedRule,
    estimate: number,
    keyName: string,
  ): Promise<never> {
    const standings = await this.store.standings(step.rules);
    reportRateLimits(res, ticket, step.planned, standings);
    throw new RateLimitExceededError(
      `Request too large: it is estimated at ${estimate} tokens (prompt plus the completion asked for), over ` +
        `${describe(tooLarge, keyName)}; send a shorter prompt or a lower max_tokens.`,
      60_000,
      false,
    );
  }

  /**
   * Admits `step`, or throws the refusal. `estimate` is what its token rules are charged (the
   * model step), to be settled on the real usage; the key step (undefined) only checks them.
   */
  private charge(
    ticket: Ticket,
    step: LimitStep,
    res: ServerResponse,
    keyName: string,
    estimate: number | undefined,
  ): void | Promise<void> {
    const admission = this.store.admit(step.rules, estimate ?? 0);
    if (admission instanceof Promise) {
      return admission.then((a) => this.admitted(ticket, step, res, keyName, estimate, a));
    }
    this.admitted(ticket, step, res, keyName, estimate, admission);
    return undefined;
  }

  private admitted(
    ticket: Ticket,
    step: LimitStep,
    res: ServerResponse,
    keyName: string,
    estimate: number | undefined,
    admission: Admission,
  ): void {
    if (!admission.ok && 'unavailable' in admission) {
      throw new LimitsUnavailableError();
    }
    reportRateLimits(res, ticket, step.planned, admission.standings);
    if (!admission.ok) {
      throw refusal(step.planned[admission.refused], admission.retryAfterMs, keyName);
    }
    if (ticket.settled) {
      // The response ended while a shared store was answering: nothing was served, all goes back.
      const back = estimate ? step.tokenRules.map((rule) => ({ rule, delta: -estimate })) : [];
      void this.store.settle(back, admission.lease);
      return;
    }
    if (admission.lease) {
      ticket.leases.push(admission.lease);
    }
    if (estimate !== undefined) {
      ticket.estimate = estimate;
      ticket.charged = step.tokenRules;
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
