import { describe, expect, it } from 'vitest';
import { chartPngLayout } from './chartpng';

describe('chart PNG layout', () => {
  it('frames the chart with a title above and a legend below, scaled with the pixel ratio', () => {
    const a = chartPngLayout(800, 240, 1);
    expect(a).toEqual({ width: 824, height: 12 + 26 + 240 + 12 + 17 + 12, chartY: 38, titleY: 29, legendY: 38 + 240 + 12 + 17, pad: 12, fontPx: 17 });
    const b = chartPngLayout(1600, 480, 2);
    expect(b.width).toBe(1600 + 48);
    expect(b.chartY).toBe(24 + 51);
    expect(b.titleY).toBeLessThan(b.chartY);
    expect(b.legendY).toBeGreaterThan(b.chartY + 480);
    expect(b.height).toBeGreaterThan(b.legendY);
  });
});
