// uPlot options for a "closed first by" chart (one side of a port): closes
// per second, stacked as in the state charts (series i is the top edge of
// band i), in the close colours of states.ts, on the scrolling clock window
// of the Watch view. Both sides of a port share one y range: [0, yMax(m)],
// m the larger of the chart's own max and the shared one, so neither chart
// clips its own data and equal rates draw equally tall. No DOM here.

import type uPlot from 'uplot';
import { clock, yMax, type ChartChrome } from './chart';
import { CLOSES_ORDER } from './closes';
import { CLOSE_COLORS } from './states';

/** Fill opacity of the stacked areas (hex alpha), as the state charts. */
const FILL_ALPHA = 'E6';

/** Series labels (legend and tests). */
export const CLOSES_LABELS: Record<(typeof CLOSES_ORDER)[number], string> = {
  first: 'closed first',
  simultaneous: 'both at once',
};

/** The y range of one side given its own max and the shared max of both sides. */
export function closesRange(ownMax: number | null | undefined, shared: number): [number, number] {
  const own = typeof ownMax === 'number' && Number.isFinite(ownMax) ? ownMax : 0;
  return [0, yMax(Math.max(own, shared))];
}

/**
 * @param shared the max both sides' charts scale to (ClosesSeries.sharedMax), read at every redraw
 */
export function closesChartOptions(width: number, height: number, windowSec: number, chrome: ChartChrome, shared: () => number): uPlot.Options {
  const series: uPlot.Series[] = [{}];
  const bands: uPlot.Band[] = [];
  CLOSES_ORDER.forEach((key, i) => {
    const colour = CLOSE_COLORS[key];
    series.push({ label: CLOSES_LABELS[key], stroke: colour, width: 0, fill: i === 0 ? colour + FILL_ALPHA : undefined, points: { show: false } });
    if (i > 0) bands.push({ series: [i + 1, i], fill: colour + FILL_ALPHA });
  });
  const axis = (side: 'x' | 'y'): uPlot.Axis => ({
    stroke: chrome.axis,
    font: chrome.font,
    grid: { stroke: chrome.grid, width: 1 },
    ticks: { stroke: chrome.grid, width: 1 },
    size: side === 'y' ? 56 : 40,
  });
  return {
    width,
    height,
    pxAlign: false,
    legend: { show: false },
    cursor: { show: false, drag: { x: false, y: false } },
    scales: {
      x: { time: true, range: (_u, _min, max) => [max - windowSec, max] },
      y: { range: (_u, _min, max) => closesRange(max, shared()) },
    },
    axes: [
      { ...axis('x'), space: 110, values: (_u, splits) => splits.map(clock) },
      { ...axis('y'), values: (_u, splits) => splits.map((v) => (Number.isInteger(v) ? String(v) : '')) },
    ],
    series,
    bands,
  };
}
