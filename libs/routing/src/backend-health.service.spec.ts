import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { BackendTransition } from '@app/catalog';
import type { GatewayConfig } from '@app/config';
import { MemoryCircuitStore } from '@app/store';
import { BackendHealthService, modelKey } from './backend-health.service';
import type { BackendRegistry } from './backend-registry';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('BackendHealthService state changes', () => {
  let sut: BackendHealthService;
  let transitions: BackendTransition[];
  let warnings: string[];

  beforeEach(() => {
    const registry = {
      all: () => [{ name: 'vllm', configured: true }],
    } as unknown as BackendRegistry;
    const config = {
      routing: {
        failure_threshold: 3,
        failure_window_seconds: 60,
        cooldown_seconds: 0.08,
        health_interval_seconds: 3600,
      },
    } as unknown as GatewayConfig;
    sut = new BackendHealthService(registry, new MemoryCircuitStore(), config);
    transitions = [];
    sut.onTransition((t) => transitions.push(t));
    warnings = [];
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => {
      warnings.push(String(message));
    });
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });

  afterEach(() => {
    sut.onModuleDestroy();
    jest.restoreAllMocks();
  });

  it('reports a bench once, and its end when the cooldown runs out', async () => {
    sut.recordSuccess('vllm');
    for (let i = 0; i < 4; i++) {
      sut.recordFailure('vllm', false);
    }
    await sleep(10);
    expect(sut.statusOf('vllm')).toBe('benched');
    expect(transitions).toEqual([
      { backend: 'vllm', state: 'available' },
      { backend: 'vllm', state: 'benched', reason: 'failures' },
    ]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^backend vllm: available → benched \(failures\) until /);

    await sleep(120);
    expect(sut.statusOf('vllm')).toBe('available');
    expect(transitions.at(-1)).toEqual({ backend: 'vllm', state: 'available' });
    expect(warnings.at(-1)).toBe('backend vllm: back, benched → available');
    expect(transitions).toHaveLength(3);
  });

  it('reports a (backend, model) rate-limit bench and its end, the backend untouched', async () => {
    sut.recordSuccess('vllm');
    sut.bench(modelKey('vllm', 'scout'), 'rate_limited', 0.05);
    sut.bench(modelKey('vllm', 'scout'), 'rate_limited', 0.05);
    expect(transitions.slice(1)).toEqual([
      { backend: 'vllm', model: 'scout', state: 'benched', reason: 'rate_limited' },
    ]);
    expect(sut.statusOf('vllm')).toBe('available');
    await sleep(100);
    expect(transitions.slice(1)).toEqual([
      { backend: 'vllm', model: 'scout', state: 'benched', reason: 'rate_limited' },
      { backend: 'vllm', model: 'scout', state: 'available' },
    ]);
    expect(warnings).toEqual([
      expect.stringMatching(/^backend vllm model scout: available → benched \(rate_limited\)/),
      'backend vllm model scout: back, benched → available',
    ]);
  });

  it('reports a refused connection as unreachable at once', () => {
    sut.recordFailure('vllm', true);
    expect(transitions).toEqual([{ backend: 'vllm', state: 'unreachable', reason: 'unreachable' }]);
    expect(warnings).toHaveLength(1);
  });
});
