import type { BackendConfig, ModelEntry } from '@app/config';
import type { BackendState } from './backend-status';
import { dataLeavesDgx, type ResolvedHop } from './catalog.service';
import type { BackendInfoDto, InfoResponseDto, ModelObjectDto } from './info.dto';

// Unix seconds of 2026-01-01: a stable `created` for every alias (the OpenAI list format requires one).
const CATALOG_EPOCH = 1767225600;

/** The `/v1/info` document: the caller's aliases, and every backend with its live status. Never a URL or key. */
export function describeCatalog(
  models: readonly ModelEntry[],
  backends: readonly BackendConfig[],
  stateOf: (name: string) => BackendState,
  chainOf: (alias: string) => readonly ResolvedHop[],
): InfoResponseDto {
  return {
    models: models.map((m) => {
      const chain = chainOf(m.alias);
      const own = chain.filter((h) => h.member === m);
      let next = 0;
      return {
        alias: m.alias,
        family: m.family,
        context_window: m.context_window,
        tools: m.tools,
        vision: m.vision,
        reasoning: m.reasoning,
        modalities: m.modalities,
        capabilities: m.capabilities,
        licensing: { ...m.licensing, data_leaves_dgx: dataLeavesDgx(chain) },
        routing: m.routing.map((hop) => {
          if ('alias' in hop) {
            return { alias: hop.alias };
          }
          const resolved = own[next++];
          return {
            backend: hop.backend,
            model: hop.model,
            context_window: resolved.contextWindow,
            ...(resolved.maxOutputTokens !== undefined && {
              max_output_tokens: resolved.maxOutputTokens,
            }),
            data_leaves_dgx: !resolved.local,
            ...(Object.keys(resolved.unsupportedParams).length > 0 && {
              unsupported_params: { ...resolved.unsupportedParams },
            }),
          };
        }),
        constraints: m.constraints,
      };
    }),
    backends: backends.map((b): BackendInfoDto => {
      const state = stateOf(b.name);
      return {
        name: b.name,
        kind: b.kind,
        type: b.type,
        status: state.status,
        ...(state.bench && { benched_until: state.bench.until, bench_reason: state.bench.reason }),
        ...(state.benchedModels && { benched_models: state.benchedModels }),
        description: b.description,
        aliases: models
          .filter((m) => m.routing.some((h) => 'backend' in h && h.backend === b.name))
          .map((m) => m.alias),
      };
    }),
  };
}

export function toModelObject(m: ModelEntry): ModelObjectDto {
  return { id: m.alias, object: 'model', created: CATALOG_EPOCH, owned_by: m.family };
}
