import { ALIAS_PATTERN } from './config.schema';
import { LIMIT_NAMES, type KeyLimits, type LimitName, type LimitValues } from './gateway-config';

type PathSegment = string | number;
/** Reports a problem at a path of the keys file. */
export type ProblemAt = (path: PathSegment[], message: string) => void;

/** One layer of limits as written: a `null` lifts a limit a lower layer set. */
export type LimitLayer = Partial<Record<LimitName, number | null>>;

export interface KeyLimitLayer extends LimitLayer {
  per_alias?: Record<string, LimitLayer>;
}

const LIMIT_NAME_SET: ReadonlySet<string> = new Set(LIMIT_NAMES);
const MAX_LIMIT = 2 ** 52;

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `alias_groups`: group name → non-empty list of known aliases; a group name is not an alias. */
export function readAliasGroups(
  raw: unknown,
  aliases: ReadonlySet<string>,
  at: ProblemAt,
): Record<string, string[]> {
  const groups: Record<string, string[]> = {};
  if (raw === undefined) {
    return groups;
  }
  if (!isMapping(raw)) {
    at(['alias_groups'], 'must be a mapping of group name to a list of aliases');
    return groups;
  }
  for (const [name, members] of Object.entries(raw)) {
    const path = ['alias_groups', name];
    if (!ALIAS_PATTERN.test(name)) {
      at(path, 'a group name must be a lower-case name of letters, digits, ".", "_" or "-"');
    } else if (aliases.has(name)) {
      at(path, `"${name}" is already an alias; a group needs a name of its own`);
    }
    if (!Array.isArray(members) || members.length === 0) {
      at(path, 'must be a non-empty list of aliases');
      continue;
    }
    const unknown = members.filter((m) => typeof m !== 'string' || !aliases.has(m));
    if (unknown.length > 0) {
      at(path, `unknown alias ${unknown.map((m) => JSON.stringify(m)).join(', ')}`);
      continue;
    }
    groups[name] = [...new Set(members as string[])];
  }
  return groups;
}

/**
 * A `limits:` mapping (a key's, or `defaults.limits`): the five limits, each a whole number ≥ 1
 * or `null` (no limit, lifting a default), and `per_alias` entries named by an alias or a group.
 */
export function readLimits(
  raw: unknown,
  path: PathSegment[],
  scopes: ReadonlySet<string>,
  at: ProblemAt,
): KeyLimitLayer {
  const layer: KeyLimitLayer = readValues(raw, path, at, true);
  const perAlias = isMapping(raw) ? raw.per_alias : undefined;
  if (perAlias === undefined) {
    return layer;
  }
  if (!isMapping(perAlias)) {
    at([...path, 'per_alias'], 'must be a mapping of alias or group name to limits');
    return layer;
  }
  layer.per_alias = {};
  for (const [scope, values] of Object.entries(perAlias)) {
    const scopePath = [...path, 'per_alias', scope];
    if (!scopes.has(scope)) {
      at(scopePath, `unknown alias or alias group "${scope}"`);
      continue;
    }
    layer.per_alias[scope] = readValues(values, scopePath, at, false);
  }
  return layer;
}

function readValues(
  raw: unknown,
  path: PathSegment[],
  at: ProblemAt,
  allowPerAlias: boolean,
): LimitLayer {
  const layer: LimitLayer = {};
  if (!isMapping(raw)) {
    at(path, 'must be a mapping of limit name to a whole number');
    return layer;
  }
  for (const [name, value] of Object.entries(raw)) {
    if (name === 'per_alias' && allowPerAlias) {
      continue;
    }
    if (!LIMIT_NAME_SET.has(name)) {
      at([...path, name], `unknown limit (one of ${LIMIT_NAMES.join(', ')})`);
      continue;
    }
    if (value === null) {
      layer[name as LimitName] = null;
    } else if (typeof value === 'number' && Number.isInteger(value) && value >= 1) {
      layer[name as LimitName] = Math.min(value, MAX_LIMIT);
    } else {
      at([...path, name], 'must be a whole number ≥ 1, or null for no limit');
    }
  }
  return layer;
}

/** Merges layers, later ones winning limit by limit (and per_alias entry by entry); undefined when no limit is left. */
export function resolveLimits(
  layers: ReadonlyArray<KeyLimitLayer | undefined>,
): KeyLimits | undefined {
  const values = mergeValues(layers);
  const scopes = new Set(layers.flatMap((l) => Object.keys(l?.per_alias ?? {})));
  const perAlias: Record<string, LimitValues> = {};
  for (const scope of scopes) {
    const merged = mergeValues(layers.map((l) => l?.per_alias?.[scope]));
    if (merged) {
      perAlias[scope] = merged;
    }
  }
  if (!values && Object.keys(perAlias).length === 0) {
    return undefined;
  }
  return { ...values, ...(Object.keys(perAlias).length > 0 && { per_alias: perAlias }) };
}

function mergeValues(layers: ReadonlyArray<LimitLayer | undefined>): LimitValues | undefined {
  const merged: LimitValues = {};
  let any = false;
  for (const name of LIMIT_NAMES) {
    let value: number | null | undefined;
    for (const layer of layers) {
      if (layer && layer[name] !== undefined) {
        value = layer[name];
      }
    }
    if (typeof value === 'number') {
      merged[name] = value;
      any = true;
    }
  }
  return any ? merged : undefined;
}
