import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

/** Repository root: the nearest directory above the working directory holding docker-compose.yml. */
export function repoRoot(): string {
  let dir = process.cwd();
  while (!existsSync(join(dir, 'docker-compose.yml')) || !existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(`no repository root above ${process.cwd()}`);
    }
    dir = parent;
  }
  return dir;
}

export function readRepoFile(relative: string): string {
  return readFileSync(join(repoRoot(), relative), 'utf8');
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function readYaml(relative: string): JsonObject {
  const value = parse(readRepoFile(relative)) as Json;
  return asObject(value, relative);
}

export function readYamlDocuments(relative: string): JsonObject[] {
  return parseAllDocuments(readRepoFile(relative)).map((doc, i) => {
    if (doc.errors.length > 0) {
      throw new Error(`${relative}#${i}: ${doc.errors.map((e) => e.message).join('; ')}`);
    }
    return asObject(doc.toJS() as Json, `${relative}#${i}`);
  });
}

export function asObject(value: Json | undefined, what: string): JsonObject {
  if (value === null || value === undefined || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`${what} is not a mapping`);
  }
  return value;
}

export function asArray(value: Json | undefined, what: string): Json[] {
  if (!Array.isArray(value)) {
    throw new Error(`${what} is not a list`);
  }
  return value;
}

export function asStrings(value: Json | undefined, what: string): string[] {
  return asArray(value, what).map((v, i) => asString(v, `${what}[${i}]`));
}

export function asString(value: Json | undefined, what: string): string {
  if (typeof value !== 'string') {
    throw new Error(`${what} is not a string`);
  }
  return value;
}

/** Compose duration ("300s", "1m30s", "40m", "1h") in seconds. */
export function durationSeconds(value: string): number {
  const units: Record<string, number> = { us: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(us|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== value) {
    throw new Error(`not a compose duration: ${value}`);
  }
  return parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]], 0);
}

/** Facts about the gateway every deployment artefact must agree with. */
export const GATEWAY = {
  port: 8080,
  /** The Prometheus listener (METRICS_PORT), never the API port. */
  metricsPort: 9464,
  livenessPath: '/healthz',
  readinessPath: '/readyz',
  /** gpt-image's headers timeout, the longest model call. */
  longestCallSeconds: 240,
} as const;

export interface CatalogHop {
  alias: string;
  backend: string;
  model: string;
  outputsImages: boolean;
  /** The hop's own context window, when it declares one. */
  contextWindow?: number;
}

export interface Catalog {
  backends: { name: string; type: string; kind: string }[];
  hops: CatalogHop[];
  maxHeadersTimeoutSeconds: number;
  shutdownDelaySeconds: number;
  shutdownGraceSeconds: number;
}

/** The default catalog (config/gateway.yaml), parsed directly rather than through libs/config. */
export function readCatalog(): Catalog {
  const config = readYaml('config/gateway.yaml');
  const backends = asArray(config.backends, 'backends').map((b, i) => {
    const backend = asObject(b, `backends[${i}]`);
    return {
      name: asString(backend.name, `backends[${i}].name`),
      type: asString(backend.type, `backends[${i}].type`),
      kind: asString(backend.kind, `backends[${i}].kind`),
    };
  });
  const hops: CatalogHop[] = [];
  let maxHeadersTimeoutSeconds = 0;
  for (const [i, m] of asArray(config.models, 'models').entries()) {
    const model = asObject(m, `models[${i}]`);
    const alias = asString(model.alias, `models[${i}].alias`);
    const modalities = asObject(model.modalities, `${alias}.modalities`);
    const outputsImages = asArray(modalities.output, `${alias}.modalities.output`).includes(
      'image',
    );
    if (typeof model.headers_timeout_seconds === 'number') {
      maxHeadersTimeoutSeconds = Math.max(maxHeadersTimeoutSeconds, model.headers_timeout_seconds);
    }
    for (const [j, h] of asArray(model.routing, `${alias}.routing`).entries()) {
      const hop = asObject(h, `${alias}.routing[${j}]`);
      if (typeof hop.backend === 'string') {
        hops.push({
          alias,
          backend: hop.backend,
          model: asString(hop.model, `${alias}.routing[${j}].model`),
          outputsImages,
          ...(typeof hop.context_window === 'number' && { contextWindow: hop.context_window }),
        });
      }
    }
  }
  const server = asObject(config.server, 'server');
  return {
    backends,
    hops,
    maxHeadersTimeoutSeconds,
    shutdownDelaySeconds: Number(server.shutdown_delay_seconds),
    shutdownGraceSeconds: Number(server.shutdown_grace_seconds),
  };
}

/** The pod spec, first container and env entries (by name) of a Deployment document. */
export function gatewayPod(deployment: JsonObject): {
  podSpec: JsonObject;
  container: JsonObject;
  env: Record<string, JsonObject>;
} {
  const podSpec = asObject(
    asObject(asObject(deployment.spec, 'spec').template, 'template').spec,
    'pod spec',
  );
  const container = asObject(asArray(podSpec.containers, 'containers')[0], 'container');
  const env = Object.fromEntries(
    asArray(container.env, 'env').map((e) => {
      const entry = asObject(e, 'env entry');
      return [asString(entry.name, 'name'), entry];
    }),
  );
  return { podSpec, container, env };
}
