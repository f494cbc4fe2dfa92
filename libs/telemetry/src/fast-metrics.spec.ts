import { Counter, Histogram, Registry } from 'prom-client';
import { FastCounter, FastHistogram } from './fast-metrics';

const BUCKETS = [0.1, 1, 10];

/** The same observations through prom-client's own metrics and through the fast ones. */
async function both(
  fill: (
    counter: (labels: string[], n?: number) => void,
    histogram: (labels: string[], v: number) => void,
  ) => void,
): Promise<[string, string]> {
  const reference = new Registry();
  const counter = new Counter({
    name: 'c_total',
    help: 'c',
    labelNames: ['a', 'b'],
    registers: [reference],
  });
  const histogram = new Histogram({
    name: 'h_seconds',
    help: 'h',
    labelNames: ['a'],
    buckets: BUCKETS,
    registers: [reference],
  });
  const fast = new Registry();
  const fastCounter = new FastCounter('c_total', 'c', ['a', 'b'], fast);
  const fastHistogram = new FastHistogram('h_seconds', 'h', ['a'], BUCKETS, fast);
  fill(
    (labels, n) => {
      counter.inc({ a: labels[0], b: labels[1] }, n);
      fastCounter.inc(labels, n);
    },
    (labels, v) => {
      histogram.observe({ a: labels[0] }, v);
      fastHistogram.observe(labels, v);
    },
  );
  return [await reference.metrics(), await fast.metrics()];
}

describe('FastCounter and FastHistogram', () => {
  it('render exactly what prom-client’s Counter and Histogram render for the same data', async () => {
    const [reference, fast] = await both((counter, histogram) => {
      counter(['x', 'y']);
      counter(['x', 'y'], 4);
      counter(['x', 'z"q']);
      for (const v of [0.05, 0.1, 0.5, 3, 10, 11, 1e6]) {
        histogram(['one'], v);
      }
      histogram(['two'], 0.2);
    });
    expect(fast).toBe(reference);
    expect(fast).toContain('h_seconds_bucket{le="+Inf",a="one"} 7');
    expect(fast).toContain('c_total{a="x",b="y"} 5');
  });

  it('keeps series apart however the label values are passed (one array reused)', () => {
    const registry = new Registry();
    const counter = new FastCounter('r_total', 'r', ['a', 'b'], registry);
    const values = ['1', '2'];
    counter.inc(values);
    values[1] = '3';
    counter.inc(values);
    counter.inc(['1', '2'], 2);
    expect(counter.get().values).toEqual([
      { labels: { a: '1', b: '2' }, value: 3 },
      { labels: { a: '1', b: '3' }, value: 1 },
    ]);
  });
});
