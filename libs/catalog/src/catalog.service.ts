import { Inject, Injectable } from '@nestjs/common';
import {
  GATEWAY_CONFIG,
  type BackendConfig,
  type GatewayConfig,
  type ModelEntry,
  type UnsupportedParamAction,
} from '@app/config';
import { mayUse, type Principal } from '@app/auth';
import { ModelNotFoundError } from '@app/contracts';

/**
 * A concrete step of an alias's chain: the member alias whose constraints apply, its backend and
 * upstream model id, and the facts of that backend's build of the model.
 */
export interface ResolvedHop {
  member: ModelEntry;
  backend: string;
  model: string;
  /** This build's context window (the member's when the hop declares none). */
  contextWindow: number;
  maxOutputTokens?: number;
  /** Prompts stay on the DGX on this hop (a local backend, unless the hop says otherwise). */
  local: boolean;
  unsupportedParams: Readonly<Record<string, UnsupportedParamAction>>;
}

/** Where an alias's prompts go: never off the DGX, only on a fallback hop, or from the first hop. */
export type DataLocality = false | 'on_fallback' | true;

/** The honest summary of a chain's hops. */
export function dataLeavesDgx(chain: readonly ResolvedHop[]): DataLocality {
  if (chain.every((h) => h.local)) {
    return false;
  }
  return chain[0]?.local ? 'on_fallback' : true;
}

/** The model catalog; chains of composite aliases are flattened once, at boot. */
@Injectable()
export class CatalogService {
  private readonly byAlias: ReadonlyMap<string, ModelEntry>;
  private readonly chains: ReadonlyMap<string, readonly ResolvedHop[]>;

  private readonly cloud: ReadonlySet<string>;

  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {
    this.cloud = new Set(config.backends.filter((b) => b.kind === 'cloud').map((b) => b.name));
    this.byAlias = new Map(config.models.map((m) => [m.alias, m]));
    this.chains = new Map(config.models.map((m) => [m.alias, this.flatten(m)]));
  }

  backends(): readonly BackendConfig[] {
    return this.config.backends;
  }

  /** Every alias the principal may use, in catalog order. */
  list(principal: Principal): ModelEntry[] {
    return [...this.byAlias.values()].filter((m) => mayUse(principal, m.alias));
  }

  /** The alias's entry, or `model_not_found` — for unknown aliases and for ones the key may not use alike. */
  require(alias: string, principal: Principal): ModelEntry {
    const entry = this.byAlias.get(alias);
    if (!entry || !mayUse(principal, alias)) {
      throw new ModelNotFoundError(alias);
    }
    return entry;
  }

  /** The alias's chain with composite members expanded in order (image-gen → nano-banana's hops, then gpt-image's). */
  chain(alias: string): readonly ResolvedHop[] {
    return this.chains.get(alias) ?? [];
  }

  private flatten(entry: ModelEntry): ResolvedHop[] {
    return entry.routing.flatMap((hop) => {
      if ('alias' in hop) {
        const member = this.byAlias.get(hop.alias);
        return member ? this.flatten(member) : [];
      }
      return [
        {
          member: entry,
          backend: hop.backend,
          model: hop.model,
          contextWindow: hop.context_window ?? entry.context_window,
          maxOutputTokens: hop.max_output_tokens,
          local: !(hop.data_leaves_dgx ?? this.cloud.has(hop.backend)),
          unsupportedParams: hop.unsupported_params ?? {},
        },
      ];
    });
  }
}
