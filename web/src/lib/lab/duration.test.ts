import { describe, expect, it } from 'vitest';
import { formatDuration, humanDuration, parseDuration } from './duration';

describe('Go durations', () => {
  it('parses what time.ParseDuration accepts', () => {
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('0s')).toBe(0);
    expect(parseDuration('250ms')).toBe(250e6);
    expect(parseDuration('1.5s')).toBe(1.5e9);
    expect(parseDuration('1m30s')).toBe(90e9);
    expect(parseDuration('2h')).toBe(7200e9);
    expect(parseDuration('1h2m3.5s')).toBe(3723.5e9);
    expect(parseDuration('10us')).toBe(10e3);
    expect(parseDuration('10µs')).toBe(10e3);
    expect(parseDuration('10μs')).toBe(10e3);
    expect(parseDuration('7ns')).toBe(7);
    expect(parseDuration('.5s')).toBe(0.5e9);
    expect(parseDuration('5.s')).toBe(5e9);
    expect(parseDuration(' 65s ')).toBe(65e9);
    expect(parseDuration('-1s')).toBe(-1e9);
    expect(parseDuration('+1s')).toBe(1e9);
  });

  it('refuses what Go refuses', () => {
    for (const s of ['', '1', '10', 's', '.s', '1x', '1 s', '1s2', '--1s', '1.2.3s', 'abc', '-', '1S', '1sec']) {
      expect(parseDuration(s), s).toBeNull();
    }
  });

  it('formats like Duration.String', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(7)).toBe('7ns');
    expect(formatDuration(1500)).toBe('1.5µs');
    expect(formatDuration(50e6)).toBe('50ms');
    expect(formatDuration(1.25e6)).toBe('1.25ms');
    expect(formatDuration(1e9)).toBe('1s');
    expect(formatDuration(2e9)).toBe('2s');
    expect(formatDuration(65e9)).toBe('1m5s');
    expect(formatDuration(90e9)).toBe('1m30s');
    expect(formatDuration(600e9)).toBe('10m0s');
    expect(formatDuration(7200e9)).toBe('2h0m0s');
    expect(formatDuration(1.5e9)).toBe('1.5s');
    expect(formatDuration(-1e9)).toBe('-1s');
  });

  it('round-trips', () => {
    for (const ns of [0, 1, 999, 1000, 123456, 50e6, 1e9, 61.5e9, 3599e9, 3723.5e9]) {
      expect(parseDuration(formatDuration(ns))).toBe(ns);
    }
  });

  it('has a short human form', () => {
    expect(humanDuration(65e9)).toBe('65 s');
    expect(humanDuration(250e6)).toBe('250 ms');
    expect(humanDuration(1.5e9)).toBe('1.5 s');
    expect(humanDuration(120e9)).toBe('2 min');
  });
});
