import { jest } from '@jest/globals';
import { Cancellation } from './cancellation';

describe('Cancellation', () => {
  it('runs each listener once, in order, and only the ones still subscribed', () => {
    const sut = new Cancellation();
    const calls: string[] = [];
    const gone = (): number => calls.push('gone');
    sut.onCancel(() => calls.push('a'));
    const subscription = sut.onCancel(gone);
    sut.onCancel(() => calls.push('b'));
    sut.off(subscription);
    expect(sut.aborted).toBe(false);
    sut.cancel();
    sut.cancel();
    expect(sut.aborted).toBe(true);
    expect(calls).toEqual(['a', 'b']);
  });

  it('ignores a listener added once cancelled (callers check aborted first)', () => {
    const sut = new Cancellation();
    sut.cancel();
    const listener = jest.fn();
    sut.onCancel(listener);
    sut.cancel();
    expect(listener).not.toHaveBeenCalled();
  });
});
