import { describe, expect, it } from 'vitest';
import { chartOptions, relativeAxis, yMax } from './chart';
import { STACK_ORDER, STATE_COLORS } from './states';

describe('chart options', () => {
  it('one series and one band per state, in stack order, state colours', () => {
    const o = chartOptions(STACK_ORDER, 600, 240, 180, { axis: '#fff', grid: '#333', font: '14px sans-serif' });
    expect(o.series.length).toBe(STACK_ORDER.length + 1);
    expect(o.series[1].label).toBe('ESTABLISHED');
    expect(o.series[1].fill).toBe(STATE_COLORS.ESTABLISHED + 'E6');
    expect(o.bands?.length).toBe(STACK_ORDER.length - 1);
    expect(o.bands?.[0]).toEqual({ series: [2, 1], fill: STATE_COLORS.TIME_WAIT + 'E6' });
  });

  it('y axis: at least 4, nice headroom above the max', () => {
    expect(yMax(0)).toBe(4);
    expect(yMax(3)).toBe(4);
    expect(yMax(10)).toBe(12);
    expect(yMax(20)).toBe(25);
    expect(yMax(950)).toBe(1200);
    for (let m = 5; m < 100000; m = Math.ceil(m * 1.37)) {
      expect(yMax(m)).toBeGreaterThan(m);
      expect(yMax(m)).toBeLessThanOrEqual(m * 1.12 * 1.34);
    }
  });

  it('relative axis: seconds since the start, at least minSpan wide', () => {
    const x = relativeAxis(1000, 10);
    expect(x.range(1003)).toEqual([1000, 1010]);
    expect(x.range(1065)).toEqual([1000, 1065]);
    expect(x.splits(1000, 1010)).toEqual([1000, 1002, 1004, 1006, 1008, 1010]);
    expect(x.splits(1000, 1065)).toEqual([1000, 1010, 1020, 1030, 1040, 1050, 1060]);
    expect(x.label(1000)).toBe('0 s');
    expect(x.label(1060)).toBe('60 s');
    expect(x.label(1180)).toBe('3 min');
    const o = chartOptions(STACK_ORDER, 600, 240, 180, { axis: '#fff', grid: '#333', font: '14px sans-serif' }, x);
    const range = o.scales?.x?.range as (u: unknown, min: number, max: number) => [number, number];
    expect(range(null, 1000, 1003)).toEqual([1000, 1010]);
  });
});
