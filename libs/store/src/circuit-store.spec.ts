import { MemoryCircuitStore } from './circuit-store';

describe('MemoryCircuitStore', () => {
  const now = Date.now();

  it('never shortens a bench in force, and lets a longer one replace it', () => {
    const sut = new MemoryCircuitStore();
    sut.bench('openrouter|x', { until: now + 60_000, reason: 'rate_limited' });
    sut.bench('openrouter|x', { until: now + 5_000, reason: 'failures' });
    expect(sut.get('openrouter|x')).toEqual({ until: now + 60_000, reason: 'rate_limited' });
    sut.bench('openrouter|x', { until: now + 90_000, reason: 'rate_limited' });
    expect(sut.get('openrouter|x')?.until).toBe(now + 90_000);
  });

  it('lifts a bench only for the reasons given', () => {
    const sut = new MemoryCircuitStore();
    sut.bench('a', { until: now + 60_000, reason: 'rate_limited' });
    sut.bench('b', { until: now + 60_000, reason: 'unreachable' });
    sut.lift('a', ['unreachable', 'failures']);
    sut.lift('b', ['unreachable', 'failures']);
    expect(sut.get('a')?.reason).toBe('rate_limited');
    expect(sut.get('b')).toBeUndefined();
  });

  it('forgets a bench once it has ended', () => {
    const sut = new MemoryCircuitStore();
    sut.bench('a', { until: now + 1_000, reason: 'failures' });
    expect(sut.get('a', now + 999)).toBeDefined();
    expect(sut.get('a', now + 1_000)).toBeUndefined();
    expect(sut.benches(now + 1_000).size).toBe(0);
  });

  it('counts consecutive failures until a success or the window passes', async () => {
    const sut = new MemoryCircuitStore();
    expect(await sut.addFailure('vllm', 60_000)).toBe(1);
    expect(await sut.addFailure('vllm', 60_000)).toBe(2);
    sut.resetFailures('vllm');
    expect(await sut.addFailure('vllm', 60_000)).toBe(1);
    expect(await sut.addFailure('other', -1)).toBe(1);
    expect(await sut.addFailure('other', -1)).toBe(1);
  });
});
