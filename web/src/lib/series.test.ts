import { describe, expect, it } from 'vitest';
import { StackedSeries } from './series';

const ORDER = ['ESTABLISHED', 'TIME_WAIT', 'LISTEN'];

describe('StackedSeries', () => {
  it('stores stacked columns, x in seconds', () => {
    const s = new StackedSeries(10, ORDER);
    s.push(1000, { ESTABLISHED: 3, TIME_WAIT: 2, LISTEN: 1 });
    s.push(1250, { TIME_WAIT: 5 });
    const [x, est, tw, listen] = s.data();
    expect([...x]).toEqual([1, 1.25]);
    expect([...est]).toEqual([3, 0]);
    expect([...tw]).toEqual([5, 5]);
    expect([...listen]).toEqual([6, 5]);
    expect(s.latest).toEqual({ TIME_WAIT: 5 });
    expect(s.maxTotal()).toBe(6);
  });

  it('keeps a fixed window across many compactions, always contiguous and sorted', () => {
    const cap = 7;
    const s = new StackedSeries(cap, ORDER);
    for (let i = 1; i <= 100; i++) {
      s.push(i * 1000, { ESTABLISHED: i });
      const [x, est] = s.data();
      const n = Math.min(i, cap);
      expect(x.length).toBe(n);
      expect(s.length).toBe(n);
      // The newest n points, in order.
      expect([...x]).toEqual(Array.from({ length: n }, (_, k) => i - n + 1 + k));
      expect([...est]).toEqual(Array.from({ length: n }, (_, k) => i - n + 1 + k));
    }
    expect(s.lastTime).toBe(100);
  });

  it('hands out views, not copies, and allocates no new backing store per push', () => {
    const s = new StackedSeries(4, ORDER);
    s.push(1000, { ESTABLISHED: 1 });
    const buf = s.data()[0].buffer;
    for (let i = 2; i < 50; i++) s.push(i * 1000, { ESTABLISHED: i });
    expect(s.data()[0].buffer).toBe(buf);
  });

  it('ignores points that are not newer than the last one', () => {
    const s = new StackedSeries(4, ORDER);
    s.push(2000, { ESTABLISHED: 1 });
    s.push(2000, { ESTABLISHED: 9 });
    s.push(1000, { ESTABLISHED: 9 });
    expect(s.length).toBe(1);
    expect(s.latest).toEqual({ ESTABLISHED: 1 });
  });

  it('loads the newest rows of a timeline', () => {
    const s = new StackedSeries(3, ORDER);
    s.load([1000, 2000, 3000, 4000, 5000], { ESTABLISHED: [1, 2, 3, 4, 5], TIME_WAIT: [0, 0, 1, 1, 2] });
    const [x, est, tw] = s.data();
    expect([...x]).toEqual([3, 4, 5]);
    expect([...est]).toEqual([3, 4, 5]);
    expect([...tw]).toEqual([4, 5, 7]);
    expect(s.latest).toEqual({ ESTABLISHED: 5, TIME_WAIT: 2 });
  });

  it('max total over an x range (seconds), inclusive', () => {
    const s = new StackedSeries(10, ORDER);
    s.push(1000, { ESTABLISHED: 9 });
    s.push(2000, { ESTABLISHED: 2, TIME_WAIT: 1 });
    s.push(3000, { ESTABLISHED: 4 });
    expect(s.maxTotal()).toBe(9);
    expect(s.maxTotal(2, 3)).toBe(4);
    expect(s.maxTotal(2, 2)).toBe(3);
    expect(s.maxTotal(4, 9)).toBe(0);
  });

  it('lists the states present in the window', () => {
    const s = new StackedSeries(3, ORDER);
    s.push(1000, { LISTEN: 1 });
    s.push(2000, { LISTEN: 1, TIME_WAIT: 4 });
    expect(s.presentStates()).toEqual(['TIME_WAIT', 'LISTEN']);
    s.clear();
    expect(s.length).toBe(0);
    expect(s.presentStates()).toEqual([]);
  });

  it('grows a large capacity as points come, keeping every point up to it', () => {
    const cap = 5000; // more than the first allocation
    const s = new StackedSeries(cap, ORDER);
    for (let i = 1; i <= cap + 10; i++) s.push(i * 1000, { ESTABLISHED: i, TIME_WAIT: 1 });
    const [x, est, tw] = s.data();
    expect(s.length).toBe(cap);
    expect(x[0]).toBe(11);
    expect(x[cap - 1]).toBe(cap + 10);
    expect(est[cap - 1]).toBe(cap + 10);
    expect(tw[0]).toBe(12);
    expect(s.firstTime).toBe(11);
    expect(x.buffer.byteLength).toBeLessThanOrEqual(cap * 2 * 8);
  });

  it('changes its capacity: larger keeps more, smaller drops the oldest', () => {
    const s = new StackedSeries(3, ORDER);
    for (let i = 1; i <= 5; i++) s.push(i * 1000, { ESTABLISHED: i });
    expect([...s.data()[0]]).toEqual([3, 4, 5]);
    s.setCapacity(6);
    for (let i = 6; i <= 10; i++) s.push(i * 1000, { ESTABLISHED: i });
    expect([...s.data()[0]]).toEqual([5, 6, 7, 8, 9, 10]);
    s.setCapacity(2);
    expect([...s.data()[0]]).toEqual([9, 10]);
    s.push(11_000, { ESTABLISHED: 11 });
    expect([...s.data()[1]]).toEqual([10, 11]);
  });

  it('lists the states present in a time range', () => {
    const s = new StackedSeries(10, ORDER);
    s.push(1000, { TIME_WAIT: 1 });
    s.push(2000, { ESTABLISHED: 1 });
    expect(s.presentStates()).toEqual(['ESTABLISHED', 'TIME_WAIT']);
    expect(s.presentStates(1.5, 3)).toEqual(['ESTABLISHED']);
  });
});
