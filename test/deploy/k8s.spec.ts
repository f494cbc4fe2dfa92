import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Service } from 'kubernetes-models/v1/Service';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { parse } from 'yaml';
import {
  asArray,
  asObject,
  asString,
  asStrings,
  gatewayPod,
  GATEWAY,
  type JsonObject,
  readRepoFile,
  readYaml,
  readYamlDocuments,
  repoRoot,
} from './deploy-files';

const DIR = 'deploy/k8s';

interface Validatable {
  validate(): void;
}

/** kubernetes-models validators, generated from the Kubernetes OpenAPI schemas, by apiVersion/kind. */
const MODELS: Record<string, (data: JsonObject) => Validatable> = {
  'apps/v1/Deployment': (d) => new Deployment(d),
  'v1/Service': (d) => new Service(d),
  'v1/ConfigMap': (d) => new ConfigMap(d),
  'autoscaling/v2/HorizontalPodAutoscaler': (d) =>
    new HorizontalPodAutoscaler(
      d as unknown as ConstructorParameters<typeof HorizontalPodAutoscaler>[0],
    ),
  'policy/v1/PodDisruptionBudget': (d) => new PodDisruptionBudget(d),
};

const kustomization = readYaml(`${DIR}/kustomization.yaml`);
const resourceFiles = asArray(kustomization.resources, 'resources').map((r) =>
  asString(r, 'resource'),
);
const manifests = resourceFiles.flatMap((file) =>
  readYamlDocuments(`${DIR}/${file}`).map((doc) => ({ file, doc })),
);

function find(kind: string): JsonObject {
  const found = manifests.filter((m) => m.doc.kind === kind);
  expect(found).toHaveLength(1);
  return found[0].doc;
}

function modelKey(doc: JsonObject): string {
  return `${asString(doc.apiVersion, 'apiVersion')}/${asString(doc.kind, 'kind')}`;
}

const deployment = find('Deployment');
const { podSpec, container, env } = gatewayPod(deployment);

function probe(name: string): JsonObject {
  return asObject(container[name], name);
}

describe('deploy/k8s kustomization', () => {
  it('lists every manifest in the directory, and only existing ones', () => {
    const onDisk = readdirSync(join(repoRoot(), DIR))
      .filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml')
      .sort();
    expect([...resourceFiles].sort()).toEqual(onDisk);
  });

  it('is a kustomize Kustomization whose image name matches the Deployment', () => {
    expect(kustomization.apiVersion).toBe('kustomize.config.k8s.io/v1beta1');
    expect(kustomization.kind).toBe('Kustomization');
    const images = asArray(kustomization.images, 'images').map((i) => asObject(i, 'image'));
    const image = asString(container.image, 'image');
    expect(images.map((i) => i.name)).toContain(image.split(':')[0]);
  });

  it('holds the five kinds the gateway needs', () => {
    expect(manifests.map((m) => m.doc.kind).sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'HorizontalPodAutoscaler',
      'PodDisruptionBudget',
      'Service',
    ]);
  });
});

describe('deploy/k8s manifests against the Kubernetes schemas (kubernetes-models)', () => {
  it.each(manifests.map((m) => [`${m.file} ${modelKey(m.doc)}`, m.doc] as const))(
    '%s is valid',
    (_name, doc) => {
      const model = MODELS[modelKey(doc)];
      expect(model).toBeDefined();
      expect(() => model(doc).validate()).not.toThrow();
    },
  );

  it('rejects a mistyped field, so the schema check can fail', () => {
    const broken = structuredClone(deployment);
    const { container: c } = gatewayPod(broken);
    asObject(asArray(c.ports, 'ports')[0], 'port').containerPort = 'eighty';
    expect(() => MODELS['apps/v1/Deployment'](broken).validate()).toThrow(/containerPort/);
  });
});

describe('deploy/k8s Deployment', () => {
  it(`exposes ${GATEWAY.port} as the named port the probes use, and metrics on ${GATEWAY.metricsPort}`, () => {
    expect(container.ports).toEqual([
      { name: 'http', containerPort: GATEWAY.port, protocol: 'TCP' },
      { name: 'metrics', containerPort: GATEWAY.metricsPort, protocol: 'TCP' },
    ]);
    expect(asObject(env.PORT, 'PORT').value).toBe(String(GATEWAY.port));
    expect(asObject(env.METRICS_PORT, 'METRICS_PORT').value).toBe(String(GATEWAY.metricsPort));
  });

  it('asks Prometheus to scrape the pods on the metrics port', () => {
    const template = asObject(asObject(deployment.spec, 'spec').template, 'template');
    expect(asObject(template.metadata, 'metadata').annotations).toEqual({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': String(GATEWAY.metricsPort),
      'prometheus.io/path': '/metrics',
    });
  });

  it('probes liveness on /healthz, readiness on /readyz, and has a startup probe', () => {
    expect(asObject(probe('livenessProbe').httpGet, 'httpGet')).toEqual({
      path: GATEWAY.livenessPath,
      port: 'http',
    });
    expect(asObject(probe('readinessProbe').httpGet, 'httpGet')).toEqual({
      path: GATEWAY.readinessPath,
      port: 'http',
    });
    expect(asObject(probe('startupProbe').httpGet, 'httpGet').path).toBe(GATEWAY.livenessPath);
  });

  it('sleeps in preStop so endpoints drop the pod before the drain starts', () => {
    const preStop = asObject(asObject(container.lifecycle, 'lifecycle').preStop, 'preStop');
    const cmd = asArray(asObject(preStop.exec, 'exec').command, 'command');
    expect(cmd[0]).toBe('sleep');
    expect(Number(cmd[1])).toBeGreaterThan(0);
  });

  it('runs non-root with a read-only root filesystem and no privileges', () => {
    const pod = asObject(podSpec.securityContext, 'pod securityContext');
    expect(pod.runAsNonRoot).toBe(true);
    expect(pod.runAsUser).not.toBe(0);
    const sc = asObject(container.securityContext, 'securityContext');
    expect(sc).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
  });

  it('sets resource requests and limits', () => {
    const resources = asObject(container.resources, 'resources');
    expect(Object.keys(asObject(resources.requests, 'requests')).sort()).toEqual(['cpu', 'memory']);
    expect(asObject(resources.limits, 'limits').memory).toEqual(expect.any(String));
  });

  it('takes the keys from a Secret, never from literal values', () => {
    for (const name of ['GATEWAY_API_KEYS', 'OLLAMA_API_KEY', 'OPENROUTER_API_KEY']) {
      const entry = asObject(env[name], name);
      expect(entry.value).toBeUndefined();
      expect(asObject(entry.valueFrom, 'valueFrom').secretKeyRef).toEqual({
        name: 'dgx-llm-gateway-secrets',
        key: name,
      });
    }
  });

  it('takes REDIS_URL from the Secret, optionally (without it each pod keeps its own state)', () => {
    expect(
      asObject(asObject(env.REDIS_URL, 'REDIS_URL').valueFrom, 'valueFrom').secretKeyRef,
    ).toEqual({ name: 'dgx-llm-gateway-secrets', key: 'REDIS_URL', optional: true });
  });

  it('mounts the ConfigMap at the path GATEWAY_CONFIG names', () => {
    const configPath = asString(asObject(env.GATEWAY_CONFIG, 'GATEWAY_CONFIG').value, 'value');
    const mounts = asArray(container.volumeMounts, 'mounts').map((m) => asObject(m, 'mount'));
    const mount = mounts.find((m) =>
      configPath.startsWith(`${asString(m.mountPath, 'mountPath')}/`),
    );
    expect(mount).toBeDefined();
    const volume = asArray(podSpec.volumes, 'volumes')
      .map((v) => asObject(v, 'volume'))
      .find((v) => v.name === mount?.name);
    const configMap = find('ConfigMap');
    expect(asObject(volume?.configMap, 'configMap').name).toBe(
      asObject(configMap.metadata, 'metadata').name,
    );
    const key = configPath.slice(asString(mount?.mountPath, 'mountPath').length + 1);
    expect(Object.keys(asObject(configMap.data, 'data'))).toContain(key);
  });
});

describe('deploy/k8s ConfigMap, Service, HPA, PDB', () => {
  const selector = asObject(
    asObject(asObject(deployment.spec, 'spec').selector, 'selector').matchLabels,
    'matchLabels',
  );

  it('carries the same gateway.yaml as config/gateway.yaml (run deploy/k8s/sync-config.sh)', () => {
    const data = asObject(find('ConfigMap').data, 'data');
    expect(parse(asString(data['gateway.yaml'], 'gateway.yaml'))).toEqual(
      parse(readRepoFile('config/gateway.yaml')),
    );
  });

  it('routes the Service to the named container port of the Deployment pods', () => {
    const spec = asObject(find('Service').spec, 'spec');
    expect(spec.selector).toEqual(selector);
    expect(asArray(spec.ports, 'ports').map((p) => asObject(p, 'port').targetPort)).toEqual([
      'http',
      'metrics',
    ]);
  });

  it('scales the Deployment with an HPA that keeps at least two replicas', () => {
    const spec = asObject(find('HorizontalPodAutoscaler').spec, 'spec');
    expect(spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: asObject(deployment.metadata, 'metadata').name,
    });
    expect(Number(spec.minReplicas)).toBeGreaterThanOrEqual(2);
  });

  it('protects the pods with a PDB on the same selector', () => {
    const spec = asObject(find('PodDisruptionBudget').spec, 'spec');
    expect(asObject(spec.selector, 'selector').matchLabels).toEqual(selector);
    expect(Number(spec.minAvailable)).toBeGreaterThanOrEqual(1);
  });
});

describe('deploy/k8s/redis (optional in-cluster Redis)', () => {
  const redisKustomization = readYaml(`${DIR}/redis/kustomization.yaml`);
  const docs = asArray(redisKustomization.resources, 'resources').flatMap((file) =>
    readYamlDocuments(`${DIR}/redis/${asString(file, 'resource')}`),
  );
  const claimModel = (d: JsonObject): Validatable => new PersistentVolumeClaim(d);

  it('holds a Deployment, its Service and its volume claim, each valid', () => {
    expect(docs.map((d) => d.kind).sort()).toEqual([
      'Deployment',
      'PersistentVolumeClaim',
      'Service',
    ]);
    for (const doc of docs) {
      const model = doc.kind === 'PersistentVolumeClaim' ? claimModel : MODELS[modelKey(doc)];
      expect(() => model(doc).validate()).not.toThrow();
    }
  });

  it('persists to the claim and serves the port the Service targets', () => {
    const redis = docs.find((d) => d.kind === 'Deployment')!;
    const pod = asObject(asObject(asObject(redis.spec, 'spec').template, 'template').spec, 'spec');
    const c = asObject(asArray(pod.containers, 'containers')[0], 'container');
    expect(asStrings(c.args, 'args')).toEqual(expect.arrayContaining(['--appendonly', 'yes']));
    expect(asObject(asArray(pod.volumes, 'volumes')[0], 'volume').persistentVolumeClaim).toEqual({
      claimName: 'dgx-llm-gateway-redis',
    });
    const service = asObject(docs.find((d) => d.kind === 'Service')!.spec, 'spec');
    expect(asObject(asArray(service.ports, 'ports')[0], 'port')).toMatchObject({
      port: 6379,
      targetPort: 'redis',
    });
  });
});
