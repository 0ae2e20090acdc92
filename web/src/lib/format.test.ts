import { describe, expect, it } from 'vitest';
import { formatCountdown, formatInt, formatPercent, total } from './format';

describe('format', () => {
  it('countdowns: tenths under 10 s, whole seconds rounded up above', () => {
    expect(formatCountdown(59_001)).toBe('60 s');
    expect(formatCountdown(59_000)).toBe('59 s');
    expect(formatCountdown(9_950)).toBe('9.9 s');
    expect(formatCountdown(0)).toBe('0 s');
    expect(formatCountdown(-5)).toBe('0 s');
  });

  it('percentages never round a non-zero use down to 0', () => {
    expect(formatPercent(7 / 28232)).toBe('< 0.1 %');
    expect(formatPercent(0)).toBe('0 %');
    expect(formatPercent(0.025)).toBe('2.5 %');
    expect(formatPercent(0.5)).toBe('50 %');
    expect(formatPercent(1)).toBe('100 %');
  });

  it('integers and totals', () => {
    expect(formatInt(28232)).toBe('28,232');
    expect(total({ ESTABLISHED: 3, TIME_WAIT: 20 })).toBe(23);
    expect(total(undefined)).toBe(0);
  });
});
