import { describe, expect, it } from 'vitest';
import { Backoff, RECONNECT_BACKOFF } from './backoff';

describe('Backoff', () => {
  it('doubles from 0.5 s to a 10 s cap without jitter at random()=0', () => {
    const b = new Backoff(RECONNECT_BACKOFF, () => 0);
    const got = Array.from({ length: 8 }, () => b.next());
    expect(got).toEqual([500, 1000, 2000, 4000, 8000, 10000, 10000, 10000]);
    expect(b.attempt).toBe(8);
  });

  it('jitter keeps every delay within [50 %, 100 %] of its step and never above the cap', () => {
    const seq = [0.999, 0.5, 0.123, 1, 0.77, 0.01, 0.42, 0.9, 0.3, 0.6];
    let i = 0;
    const b = new Backoff(RECONNECT_BACKOFF, () => seq[i++ % seq.length]);
    for (let a = 0; a < 40; a++) {
      const step = Math.min(10_000, 500 * 2 ** a);
      const d = b.next();
      expect(d).toBeGreaterThanOrEqual(step / 2);
      expect(d).toBeLessThanOrEqual(step);
    }
  });

  it('jitter actually spreads delays', () => {
    const lo = new Backoff(RECONNECT_BACKOFF, () => 1).next();
    const hi = new Backoff(RECONNECT_BACKOFF, () => 0).next();
    expect(lo).toBe(250);
    expect(hi).toBe(500);
  });

  it('reset starts over', () => {
    const b = new Backoff(RECONNECT_BACKOFF, () => 0);
    b.next();
    b.next();
    b.next();
    b.reset();
    expect(b.attempt).toBe(0);
    expect(b.next()).toBe(500);
  });
});
