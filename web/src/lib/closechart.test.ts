import { describe, expect, it } from 'vitest';
import { closesChartOptions, closesRange } from './closechart';
import { CLOSE_COLORS } from './states';

const CHROME = { axis: '#ccc', grid: '#333', font: '15px sans-serif' };

describe('closed-first chart options', () => {
  it('one y range for both sides: the larger max, never clipping its own', () => {
    expect(closesRange(2, 0)).toEqual([0, 4]); // at least 4, as the state charts
    expect(closesRange(2, 43)).toEqual([0, 50]); // the quiet side drawn on the busy side's scale
    expect(closesRange(43, 2)).toEqual([0, 50]);
    expect(closesRange(null, 9)).toEqual([0, 12]);
  });

  it('stacks closed-first and both-at-once in the close colours, y range from the shared max', () => {
    let shared = 43;
    const o = closesChartOptions(600, 160, 180, CHROME, () => shared);
    expect(o.series.slice(1).map((s) => [s.label, s.stroke])).toEqual([
      ['closed first', CLOSE_COLORS.first],
      ['both at once', CLOSE_COLORS.simultaneous],
    ]);
    expect(o.bands).toEqual([{ series: [2, 1], fill: CLOSE_COLORS.simultaneous + 'E6' }]);
    const y = o.scales?.y?.range as (u: unknown, min: number, max: number) => [number, number];
    expect(y(null, 0, 3)).toEqual([0, 50]);
    shared = 0;
    expect(y(null, 0, 3)).toEqual([0, 4]);
    const x = o.scales?.x?.range as (u: unknown, min: number, max: number) => [number, number];
    expect(x(null, 0, 1000)).toEqual([820, 1000]);
  });
});
