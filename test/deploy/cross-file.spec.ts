import { DockerfileParser } from 'dockerfile-ast';
import {
  asArray,
  asObject,
  asString,
  asStrings,
  durationSeconds,
  GATEWAY,
  gatewayPod,
  type JsonObject,
  readCatalog,
  readRepoFile,
  readYaml,
} from './deploy-files';

/*
 * Facts that break silently when one file changes and the others do not: the catalog's
 * backends versus the compose services, the gateway port and health paths across the
 * Dockerfile, compose and the Deployment, and the grace periods versus the longest call.
 */

const catalog = readCatalog();
const services = asObject(readYaml('docker-compose.yml').services, 'services');
const gatewayService = asObject(services.gateway, 'gateway');
const composeEnv = asObject(gatewayService.environment, 'gateway.environment');
const litellmModels = asArray(readYaml('deploy/litellm/config.yaml').model_list, 'model_list').map(
  (m) => asString(asObject(m, 'model').model_name, 'model_name'),
);

const dockerfile = DockerfileParser.parse(readRepoFile('Dockerfile'));
const dockerInstructions = dockerfile.getInstructions();
const dockerArgs = (keyword: string): string =>
  dockerInstructions
    .filter((i) => i.getKeyword() === keyword)
    .map((i) => i.getArgumentsContent() ?? '')
    .join('\n');

const deployment = readYaml('deploy/k8s/deployment.yaml');
const { podSpec, container, env: k8sEnvEntries } = gatewayPod(deployment);
const k8sEnv = Object.fromEntries(
  Object.entries(k8sEnvEntries).map(([name, entry]) => [name, entry.value]),
);

/** BACKEND_<NAME>_* as the gateway derives it: upper-cased, non-alphanumerics to `_`. */
const envName = (backend: string): string => backend.toUpperCase().replace(/[^A-Z0-9]/g, '_');

function httpGetPath(probe: string): string {
  return asString(asObject(asObject(container[probe], probe).httpGet, 'httpGet').path, 'path');
}

describe('catalog backends exist in the compose deployment', () => {
  it.each(catalog.backends.map((b) => [b.name, b.kind] as const))(
    '%s (%s) has a URL override pointing at a compose service',
    (name, kind) => {
      const url = asString(composeEnv[`BACKEND_${envName(name)}_URL`], `${name} URL`);
      const host = new URL(url).hostname;
      expect(Object.keys(services)).toContain(host);
      if (kind === 'local') {
        expect(host).toBe(name);
      } else {
        expect(host).toBe('litellm');
        expect(composeEnv[`BACKEND_${envName(name)}_TYPE`]).toBe('litellm');
      }
    },
  );

  it('serves the vllm hop model from the vllm service', () => {
    const vllmHops = catalog.hops.filter((h) => h.backend === 'vllm');
    expect(vllmHops.length).toBeGreaterThan(0);
    const args = asArray(asObject(services.vllm, 'vllm').command, 'command');
    for (const hop of vllmHops) {
      expect(args[2]).toBe(hop.model);
      expect(args[args.indexOf('--served-model-name') + 1]).toBe(hop.model);
    }
  });

  it('gives every vllm hop the context window vLLM is started with (--max-model-len)', () => {
    const args = asStrings(asObject(services.vllm, 'vllm').command, 'command');
    const flag = args[args.indexOf('--max-model-len') + 1];
    // `${VLLM_MAX_MODEL_LEN:-65536}`: the default is what a deployment runs unless it says otherwise.
    const maxModelLen = Number(/^\$\{VLLM_MAX_MODEL_LEN:-(\d+)\}$/.exec(flag)?.[1] ?? flag);
    expect(maxModelLen).toBeGreaterThan(0);
    const vllmHops = catalog.hops.filter((h) => h.backend === 'vllm');
    expect(vllmHops.map((h) => h.contextWindow)).toEqual(vllmHops.map(() => maxModelLen));
  });

  it('routes every cloud hop of the catalog through a LiteLLM model', () => {
    const cloud = new Set(catalog.backends.filter((b) => b.kind === 'cloud').map((b) => b.name));
    for (const hop of catalog.hops.filter((h) => cloud.has(h.backend))) {
      expect(litellmModels).toContain(`${hop.backend}/${hop.model}`);
    }
  });

  it('names no backend the catalog does not define', () => {
    const defined = new Set(catalog.backends.map((b) => b.name));
    expect(catalog.hops.filter((h) => !defined.has(h.backend))).toEqual([]);
    const overridden = Object.keys(composeEnv)
      .map((k) => /^BACKEND_(.+)_URL$/.exec(k)?.[1])
      .filter((n): n is string => n !== undefined);
    expect(overridden.sort()).toEqual([...defined].map(envName).sort());
  });
});

describe('the gateway port and health paths agree', () => {
  const port = String(GATEWAY.port);

  it(`Dockerfile: EXPOSE ${port} ${GATEWAY.metricsPort}, ENV PORT=${port}, HEALTHCHECK ${GATEWAY.livenessPath}`, () => {
    expect(dockerArgs('EXPOSE')).toBe(`${port} ${GATEWAY.metricsPort}`);
    expect(dockerArgs('ENV')).toMatch(new RegExp(`PORT=${port}\\b`));
    expect(dockerArgs('HEALTHCHECK')).toContain(GATEWAY.livenessPath);
  });

  it(`compose: PORT=${port}, published ${port}, healthcheck ${GATEWAY.livenessPath}`, () => {
    expect(composeEnv.PORT).toBe(port);
    expect(asStrings(gatewayService.ports, 'ports')[0]).toMatch(new RegExp(`:${port}$`));
    const test = asStrings(asObject(gatewayService.healthcheck, 'hc').test, 'test').join(' ');
    expect(test).toContain(`:${port}${GATEWAY.livenessPath}`);
  });

  it(`Deployment: containerPort ${port}, PORT=${port}, probes on the gateway's paths`, () => {
    const ports = asArray(container.ports, 'ports').map((p) => asObject(p, 'port'));
    expect(ports.map((p) => [p.name, p.containerPort])).toEqual([
      ['http', GATEWAY.port],
      ['metrics', GATEWAY.metricsPort],
    ]);
    expect(k8sEnv.PORT).toBe(port);
    expect(httpGetPath('livenessProbe')).toBe(GATEWAY.livenessPath);
    expect(httpGetPath('startupProbe')).toBe(GATEWAY.livenessPath);
    expect(httpGetPath('readinessProbe')).toBe(GATEWAY.readinessPath);
  });

  it('the catalog default server port is the same port', () => {
    expect(asObject(readYaml('config/gateway.yaml').server, 'server').port).toBe(GATEWAY.port);
  });
});

describe('grace periods cover the longest model call', () => {
  const longest = catalog.maxHeadersTimeoutSeconds;

  function shutdown(env: JsonObject | Record<string, unknown>): { delay: number; grace: number } {
    return { delay: Number(env.SHUTDOWN_DELAY_SECONDS), grace: Number(env.SHUTDOWN_GRACE_SECONDS) };
  }

  it('the longest call is gpt-image at 240 s', () => {
    expect(longest).toBe(GATEWAY.longestCallSeconds);
  });

  it('SHUTDOWN_GRACE_SECONDS covers the longest call, in the catalog, compose and k8s', () => {
    for (const { delay, grace } of [
      { delay: catalog.shutdownDelaySeconds, grace: catalog.shutdownGraceSeconds },
      shutdown(composeEnv),
      shutdown(k8sEnv),
    ]) {
      expect(delay).toBeGreaterThan(0);
      expect(grace).toBeGreaterThanOrEqual(longest + 30);
    }
  });

  it('compose stop_grace_period covers the shutdown delay plus the drain', () => {
    const { delay, grace } = shutdown(composeEnv);
    const stop = durationSeconds(asString(gatewayService.stop_grace_period, 'stop_grace_period'));
    expect(stop).toBeGreaterThanOrEqual(delay + grace);
    expect(stop).toBeGreaterThanOrEqual(longest + delay);
  });

  it('k8s terminationGracePeriodSeconds covers preStop, the shutdown delay and the drain', () => {
    const { delay, grace } = shutdown(k8sEnv);
    const preStop = asObject(asObject(container.lifecycle, 'lifecycle').preStop, 'preStop');
    const sleep = Number(asArray(asObject(preStop.exec, 'exec').command, 'command')[1]);
    const termination = Number(podSpec.terminationGracePeriodSeconds);
    expect(termination).toBeGreaterThanOrEqual(sleep + delay + grace);
    expect(termination).toBeGreaterThanOrEqual(sleep + delay + longest);
  });

  it('LiteLLM, on the path of every cloud call, is not stopped before the drain ends', () => {
    const stop = asString(asObject(services.litellm, 'litellm').stop_grace_period, 'stop');
    expect(durationSeconds(stop)).toBeGreaterThanOrEqual(longest);
  });
});
