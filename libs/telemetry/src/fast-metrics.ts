import type { Registry } from 'prom-client';

/** A label set and its value, as prom-client's registry renders them. */
interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/** What prom-client's {@link Registry} reads from a registered metric. */
interface MetricSnapshot {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  values: MetricValue[];
  aggregator: 'sum';
}

/**
 * Series by label values, one nested map level per label: a look-up allocates nothing (no label
 * object, no joined key), which is what keeps a request's metrics at a few hundred nanoseconds.
 */
class SeriesTree<S> {
  private readonly root = new Map<string, unknown>();
  readonly all: S[] = [];

  constructor(
    private readonly labelNames: readonly string[],
    private readonly make: (labels: Record<string, string>) => S,
  ) {}

  get(values: readonly string[]): S {
    let level = this.root;
    const last = this.labelNames.length - 1;
    for (let i = 0; i < last; i++) {
      let next = level.get(values[i]) as Map<string, unknown> | undefined;
      if (next === undefined) {
        next = new Map();
        level.set(values[i], next);
      }
      level = next;
    }
    let series = level.get(values[last]) as S | undefined;
    if (series === undefined) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((name, i) => (labels[name] = values[i]));
      series = this.make(labels);
      level.set(values[last], series);
      this.all.push(series);
    }
    return series;
  }
}

interface CounterSeries {
  labels: Record<string, string>;
  value: number;
}

/**
 * A counter with labels whose increments are plain additions; rendered by prom-client's registry
 * like its own (`# TYPE … counter`). prom-client's own metrics hash and validate the label set on
 * every increment, even through a child.
 */
export class FastCounter {
  readonly type = 'counter';
  private readonly series: SeriesTree<CounterSeries>;
  private readonly values: string[];

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    registry: Registry,
  ) {
    this.series = new SeriesTree(labelNames, (labels) => ({ labels, value: 0 }));
    this.values = new Array<string>(labelNames.length);
    registry.registerMetric(this as never);
  }

  /** Adds `amount` to the series of these label values (in `labelNames` order). */
  inc(values: readonly string[], amount = 1): void {
    this.series.get(values).value += amount;
  }

  /** Shorthand for a one-label counter. */
  inc1(value: string, amount = 1): void {
    this.values[0] = value;
    this.series.get(this.values).value += amount;
  }

  get(): MetricSnapshot {
    return {
      name: this.name,
      help: this.help,
      type: 'counter',
      values: this.series.all.map((s) => ({ labels: s.labels, value: s.value })),
      aggregator: 'sum',
    };
  }

  reset(): void {
    for (const s of this.series.all) {
      s.value = 0;
    }
  }
}

interface HistogramSeries {
  labels: Record<string, string>;
  /** Observations per bucket (not cumulative); the last one is +Inf. */
  counts: Float64Array;
  sum: number;
  count: number;
}

/** A histogram with labels whose observations are a bucket search and three additions. */
export class FastHistogram {
  readonly type = 'histogram';
  private readonly series: SeriesTree<HistogramSeries>;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    private readonly buckets: readonly number[],
    registry: Registry,
  ) {
    this.series = new SeriesTree(labelNames, (labels) => ({
      labels,
      counts: new Float64Array(buckets.length + 1),
      sum: 0,
      count: 0,
    }));
    registry.registerMetric(this as never);
  }

  /** Records `value` in the series of these label values (in `labelNames` order). */
  observe(values: readonly string[], value: number): void {
    const series = this.series.get(values);
    const { buckets } = this;
    let i = 0;
    while (i < buckets.length && value > buckets[i]) {
      i++;
    }
    series.counts[i]++;
    series.sum += value;
    series.count++;
  }

  get(): MetricSnapshot {
    const values: MetricValue[] = [];
    for (const s of this.series.all) {
      let cumulative = 0;
      for (let i = 0; i <= this.buckets.length; i++) {
        cumulative += s.counts[i];
        values.push({
          labels: { le: i < this.buckets.length ? this.buckets[i] : '+Inf', ...s.labels },
          value: cumulative,
          metricName: `${this.name}_bucket`,
        });
      }
      values.push({ labels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: s.labels, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: 'histogram', values, aggregator: 'sum' };
  }

  reset(): void {
    for (const s of this.series.all) {
      s.counts.fill(0);
      s.sum = 0;
      s.count = 0;
    }
  }
}
