import { describe, expect, it } from 'vitest';
import { ageText, Freshness, staleText } from './staleness';

describe('staleness', () => {
  it('ages read at a glance, whole seconds, never negative', () => {
    expect(ageText(0)).toBe('0 s');
    expect(ageText(999)).toBe('0 s');
    expect(ageText(42_300)).toBe('42 s');
    expect(ageText(59_999)).toBe('59 s');
    expect(ageText(60_000)).toBe('1 min 00 s');
    expect(ageText(125_000)).toBe('2 min 05 s');
    expect(ageText(3_600_000 + 3 * 60_000 + 7000)).toBe('1 h 03 min');
    expect(ageText(-5000)).toBe('0 s');
  });

  it('says nothing while live or before any data', () => {
    expect(staleText('open', 1000, 50_000)).toBeNull();
    expect(staleText('waiting', null, 50_000)).toBeNull();
  });

  it('says how old the figures are while the link is down, counting up', () => {
    expect(staleText('waiting', 1000, 43_000)).toBe('data from 42 s ago — reconnecting');
    expect(staleText('connecting', 1000, 44_000)).toBe('data from 43 s ago — reconnecting');
    expect(staleText('stopped', 1000, 2000)).toBe('data from 1 s ago — not connected');
  });

  it('freezes the time of the last message when the link drops, clears it on hello', () => {
    const f = new Freshness();
    expect(f.status('connecting')).toBeNull(); // first connect: nothing shown yet
    f.message(1000);
    expect(f.status('open')).toBeNull();
    f.message(1250);
    f.message(1500);
    expect(f.status('waiting')).toBe(1500);
    // Retries do not move it: the figures are still those of 1500.
    expect(f.status('connecting')).toBe(1500);
    expect(f.status('waiting')).toBe(1500);
    expect(f.since).toBe(1500);
    f.message(9000); // the next hello
    expect(f.status('open')).toBeNull();
    expect(f.since).toBeNull();
    f.message(9250);
    expect(f.status('waiting')).toBe(9250);
  });
});
