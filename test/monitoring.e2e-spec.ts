import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { sseEvents, type FakeBackends } from './support/backends';
import { startGatewayOnFakes, stopGatewayOnFakes } from './support/fixture';
import { repoRoot } from './deploy/deploy-files';
import { auth, type RunningGateway } from './support/gateway';
import { scrape, type Metrics } from './support/metrics';

const ROOT = repoRoot();
const DASHBOARD = 'deploy/monitoring/grafana/dashboards/gateway.json';
const ALERTS = 'deploy/monitoring/alerts.yml';

/** PromQL words that are not metric names. */
const PROMQL = new Set([
  'sum',
  'max',
  'min',
  'avg',
  'count',
  'rate',
  'increase',
  'irate',
  'histogram_quantile',
  'clamp_min',
  'clamp_max',
  'by',
  'without',
  'and',
  'or',
  'unless',
  'on',
  'ignoring',
  'bool',
  'label_values',
]);
/** Series Prometheus makes itself, not the gateway. */
const SYNTHETIC = new Set(['up']);

interface Query {
  where: string;
  expr: string;
}

function dashboardQueries(): Query[] {
  const dashboard = JSON.parse(readFileSync(join(ROOT, DASHBOARD), 'utf8')) as {
    panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
    templating: { list: Array<{ name: string; definition?: string }> };
  };
  return [
    ...dashboard.panels.flatMap((p) =>
      (p.targets ?? []).map((t) => ({ where: `panel "${p.title}"`, expr: t.expr })),
    ),
    ...dashboard.templating.list
      .filter((v) => v.definition)
      .map((v) => ({ where: `variable $${v.name}`, expr: v.definition ?? '' })),
  ];
}

function alertQueries(): Query[] {
  const rules = parse(readFileSync(join(ROOT, ALERTS), 'utf8')) as {
    groups: Array<{ rules: Array<{ alert: string; expr: string }> }>;
  };
  return rules.groups.flatMap((g) => g.rules.map((r) => ({ where: r.alert, expr: r.expr })));
}

/** The metric names a PromQL expression reads, and the labels it groups or filters by. */
function analyse(expr: string): { metrics: string[]; labels: string[] } {
  const labels: string[] = [];
  let rest = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\$\w+/g, '')
    .replace(/\b\d+(?:\.\d+)?(?:e[-+]?\d+)?\b/g, '');
  rest = rest.replace(/\b(?:by|without)\s*\(([^)]*)\)/g, (_m, list: string) => {
    labels.push(...list.split(',').map((l) => l.trim()));
    return '';
  });
  rest = rest.replace(/\{([^}]*)\}/g, (_m, matchers: string) => {
    labels.push(...[...matchers.matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)].map((m) => m[1]));
    return '';
  });
  // label_values(metric, label): the second argument is a label.
  rest = rest.replace(/label_values\(\s*([a-zA-Z_:][\w:]*)\s*,\s*(\w+)\s*\)/g, (_m, m, l) => {
    labels.push(l as string);
    return m as string;
  });
  const words = [...rest.matchAll(/[a-zA-Z_:][\w:]*/g)].map((m) => m[0]);
  return {
    metrics: [...new Set(words.filter((w) => !PROMQL.has(w)))],
    labels: labels.filter((l) => l.length > 0),
  };
}

describe('every metric the dashboard and the alerts query exists in a running gateway’s /metrics (e2e)', () => {
  let fakes: FakeBackends;
  let gw: RunningGateway;
  let metrics: Metrics;

  const chat = (body: Record<string, unknown>, signal?: AbortSignal): Promise<Response> =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal,
    });
  const hello = { messages: [{ role: 'user', content: 'Say hello to the DGX' }] };

  beforeAll(async () => {
    ({ fakes, gw } = await startGatewayOnFakes({ BACKEND_HEALTH_INTERVAL_SECONDS: '3600' }));
    // Traffic of every kind the dashboard shows.
    await (await chat({ model: 'llama-4-scout', ...hello })).arrayBuffer();
    await sseEvents(await chat({ model: 'llama-4-scout', stream: true, ...hello }));
    await (await chat({ model: 'gpt-5.5-pro', max_tokens: 50, ...hello })).arrayBuffer();
    await (await chat({ model: 'no-such-model', ...hello })).arrayBuffer();
    fakes.vllm.setFault({ kind: 'slow', delayMs: 2000 });
    const aborter = new AbortController();
    const left = chat({ model: 'llama-4-scout', ...hello }, aborter.signal).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 200));
    aborter.abort();
    await left;
    await new Promise((resolve) => setTimeout(resolve, 50));
    fakes.vllm.setFault(null);
    fakes.vllm.setFault({ kind: 'status', status: 503, times: 3 });
    for (let i = 0; i < 3; i++) {
      await (await chat({ model: 'llama-4-scout', ...hello })).arrayBuffer();
    }
    fakes.vllm.setFault(null);
    metrics = await scrape(gw.metricsUrl);
  });

  afterAll(() => stopGatewayOnFakes({ gw, fakes }));

  const queries = [...dashboardQueries(), ...alertQueries()];

  it('finds queries to check', () => {
    expect(dashboardQueries().length).toBeGreaterThan(20);
    expect(alertQueries().length).toBeGreaterThan(4);
  });

  it.each(queries.map((q) => [q.where, q.expr]))('%s: %s', (_where, expr) => {
    const { metrics: names, labels } = analyse(expr);
    expect(names.length).toBeGreaterThan(0);
    const present = metrics.names();
    for (const name of names.filter((n) => !SYNTHETIC.has(n))) {
      expect({ name, exported: present.has(name) }).toEqual({ name, exported: true });
    }
    // Every label grouped or filtered by is carried by one of the series read.
    const carried = new Set(
      metrics.samples
        .filter((s) => names.includes(s.name) || SYNTHETIC.has(s.name))
        .flatMap((s) => Object.keys(s.labels)),
    );
    for (const label of labels.filter((l) => l !== 'job' && l !== 'le')) {
      expect({ label, carried: carried.has(label) }).toEqual({ label, carried: true });
    }
  });

  it('the check itself catches a misspelt metric', () => {
    expect(analyse('sum(rate(gateway_request_total[5m]))').metrics).toEqual([
      'gateway_request_total',
    ]);
    expect(metrics.names().has('gateway_request_total')).toBe(false);
  });
});
