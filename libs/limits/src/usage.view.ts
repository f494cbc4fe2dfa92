import type { RuleStanding } from '@app/store';
import type { LimitPlan, LimitScope, PlannedRule } from './limit-plan';
import type { LimitSetDto, LimitStandingDto, UsageResponseDto } from './usage.dto';

/** The `/v1/usage` answer from a key's plan and where its rules stand. */
export function describeUsage(
  keyName: string,
  shared: boolean,
  plan: LimitPlan | undefined,
  standings: ReadonlyArray<{ planned: PlannedRule; standing: RuleStanding }>,
  now: number,
): UsageResponseDto {
  const sets = new Map<LimitScope, LimitSetDto>();
  for (const { planned, standing } of standings) {
    let set = sets.get(planned.scope);
    if (!set) {
      set = {};
      sets.set(planned.scope, set);
    }
    set[planned.name] = view(planned, standing, now);
  }
  return {
    object: 'gateway.usage',
    key: keyName,
    shared,
    limits: (plan && sets.get(plan.key)) ?? {},
    per_alias: (plan?.scopes ?? []).map((scope) => ({
      scope: scope.name,
      aliases: [...(scope.aliases ?? [scope.name])],
      limits: sets.get(scope) ?? {},
    })),
  };
}

function view(planned: PlannedRule, standing: RuleStanding, now: number): LimitStandingDto {
  const { rule } = planned;
  const dto: LimitStandingDto = {
    limit: rule.limit,
    used: Math.max(0, rule.limit - standing.remaining),
    remaining: standing.remaining,
  };
  if (rule.kind === 'rate') {
    dto.resets_at = new Date(now + standing.resetMs).toISOString();
  } else if (rule.kind === 'budget') {
    dto.resets_at = new Date(rule.endsAt).toISOString();
    dto.window = rule.key.slice(rule.key.lastIndexOf(':') + 1);
  }
  return dto;
}
