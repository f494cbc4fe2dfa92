import { LiveList } from './live-list';

describe('LiveList', () => {
  it('keeps values in the order added, removes any of them in place, once', () => {
    const sut = new LiveList<string>();
    const a = sut.add('a');
    const b = sut.add('b');
    const c = sut.add('c');
    sut.remove(b);
    sut.remove(b);
    expect([...sut]).toEqual(['a', 'c']);
    expect(sut.size).toBe(2);
    sut.remove(a);
    sut.remove(c);
    expect([...sut]).toEqual([]);
    expect(sut.size).toBe(0);
    sut.add('d');
    expect([...sut]).toEqual(['d']);
  });

  it("ignores another list's entry (its own head and tail stay as they are)", () => {
    const sut = new LiveList<string>();
    const other = new LiveList<string>();
    sut.add('a');
    const foreign = other.add('x');
    sut.remove(foreign);
    expect([...sut]).toEqual(['a']);
    expect([...other]).toEqual(['x']);
    expect(sut.size).toBe(1);
  });

  it('leaves a removed entry linked to nothing (a dropped entry must not hold younger ones alive)', () => {
    const sut = new LiveList<number>();
    const first = sut.add(1);
    const middle = sut.add(2);
    sut.add(3);
    sut.remove(middle);
    expect(middle).toMatchObject({ prev: undefined, next: undefined });
    const rest = sut.drain();
    expect(rest).toEqual([1, 3]);
    expect(first).toMatchObject({ prev: undefined, next: undefined });
    expect(sut.size).toBe(0);
    sut.remove(first); // drained: a no-op
    expect(sut.size).toBe(0);
  });
});
