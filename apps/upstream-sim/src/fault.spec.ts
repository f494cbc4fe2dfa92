import { FaultState, failsProbes, parseFault } from './fault';

describe('parseFault', () => {
  it('accepts every kind and null', () => {
    expect(parseFault(null)).toBeNull();
    expect(parseFault({ kind: 'status', status: 429, retryAfter: 3, times: 2 })).toEqual({
      kind: 'status',
      status: 429,
      retryAfter: 3,
      times: 2,
    });
    expect(parseFault({ kind: 'cut', afterChunks: 0 })).toEqual({ kind: 'cut', afterChunks: 0 });
    expect(parseFault({ kind: 'slow', delayMs: 10 })).toEqual({ kind: 'slow', delayMs: 10 });
    expect(parseFault({ kind: 'reset', extra: 1 })).toEqual({ kind: 'reset' });
    expect(parseFault({ kind: 'error-body' })).toEqual({ kind: 'error-body' });
    expect(parseFault({ kind: 'drip' })).toEqual({ kind: 'drip', chunkBytes: 64, intervalMs: 1 });
    for (const kind of ['endless-line', 'stall', 'echo-error', 'gzip-sse', 'endless-json']) {
      expect(parseFault({ kind, times: 1 })).toEqual({ kind, times: 1 });
    }
  });

  it.each([
    [[], /object or null/],
    [{ kind: 'boom' }, /fault.kind/],
    [{ kind: 'status', status: 99 }, /fault.status/],
    [{ kind: 'status', status: 700 }, /fault.status/],
    [{ kind: 'slow' }, /fault.delayMs/],
    [{ kind: 'cut', afterChunks: 1.5 }, /fault.afterChunks/],
    [{ kind: 'reset', times: 0 }, /fault.times/],
    [{ kind: 'drip', chunkBytes: 0 }, /fault.chunkBytes/],
  ])('refuses %j', (input, message) => {
    expect(() => parseFault(input)).toThrow(message);
  });
});

describe('failsProbes', () => {
  it('is true for reset and 5xx only', () => {
    expect(failsProbes({ kind: 'reset' })).toBe(true);
    expect(failsProbes({ kind: 'status', status: 503 })).toBe(true);
    expect(failsProbes({ kind: 'status', status: 429 })).toBe(false);
    expect(failsProbes({ kind: 'slow', delayMs: 1 })).toBe(false);
    expect(failsProbes(null)).toBe(false);
  });
});

describe('FaultState', () => {
  it('applies a fault `times` times then clears it', () => {
    const state = new FaultState();
    state.set({ kind: 'reset', times: 2 });
    expect(state.take()?.kind).toBe('reset');
    expect(state.peek()?.kind).toBe('reset');
    expect(state.take()?.kind).toBe('reset');
    expect(state.take()).toBeNull();
  });

  it('keeps a fault without `times` until cleared', () => {
    const state = new FaultState();
    state.set({ kind: 'error-body' });
    for (let i = 0; i < 5; i++) {
      expect(state.take()?.kind).toBe('error-body');
    }
    state.set(null);
    expect(state.take()).toBeNull();
  });
});
