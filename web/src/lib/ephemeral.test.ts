import { describe, expect, it } from 'vitest';
import { ephemeralUse, portRangeSize } from './ephemeral';

describe('ephemeral gauge', () => {
  it('parses ip_local_port_range', () => {
    expect(portRangeSize('32768\t60999')).toBe(28232);
    expect(portRangeSize('1024 65535')).toBe(64512);
    expect(portRangeSize('')).toBe(0);
    expect(portRangeSize(undefined)).toBe(0);
    expect(portRangeSize('60999 32768')).toBe(0);
    expect(portRangeSize('abc')).toBe(0);
  });

  it('takes the busiest destination', () => {
    const u = ephemeralUse(
      new Map([
        ['127.0.0.1:8081', 14116],
        ['[::1]:8081', 3],
      ]),
      14119,
      true,
      28232,
    );
    expect(u).toEqual({ destination: '127.0.0.1:8081', used: 14116, range: 28232, fraction: 0.5, approximate: false });
  });

  it('falls back to the client total when the table is capped', () => {
    const u = ephemeralUse(new Map([['127.0.0.1:8081', 2000]]), 30000, false, 28232);
    expect(u.used).toBe(30000);
    expect(u.fraction).toBe(1);
    expect(u.approximate).toBe(true);
  });

  it('no range, no fraction', () => {
    expect(ephemeralUse(new Map(), 0, true, 0)).toEqual({ destination: '', used: 0, range: 0, fraction: 0, approximate: false });
  });
});
