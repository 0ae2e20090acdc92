// uPlot options for a stacked state chart. The data are StackedSeries
// columns (cumulative per state), so series i is the top edge of state i and
// a band fills it down to series i-1: a stacked area chart, one fixed colour
// per state. No DOM here: the component measures and mounts.

import type uPlot from 'uplot';
import { stateColor } from './states';
import { trailingWindow, type XWindow } from './yscale';

export interface ChartChrome {
  axis: string;
  grid: string;
  font: string;
}

/** Fill opacity of the stacked areas (hex alpha): solid enough for a projector. */
const FILL_ALPHA = 'E6';

/** Nice upper bound for the y axis: at least 4, with headroom. */
export function yMax(max: number): number {
  if (max <= 4) return 4;
  const raw = max * 1.12;
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 10]) if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

/** Seconds since the epoch -> local "13:21:05" (one line: readable under the chart). */
export function clock(sec: number): string {
  const d = new Date(sec * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/**
 * A custom x axis (the Lab's: time since the experiment started). Without
 * one, the chart shows a fixed window ending at the newest point, labelled
 * with the clock (the Watch view).
 */
export interface XAxis {
  /** Visible x range in seconds, given the newest x. */
  range: (max: number) => [number, number];
  /** Tick positions in the range. */
  splits: (min: number, max: number) => number[];
  label: (sec: number) => string;
}

/** Tick steps for an axis in seconds since a start. */
const REL_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600];

/**
 * An x axis in seconds since t0 (Unix seconds), at least minSpan wide, so a
 * short run does not fill the chart with one poll. At most ~maxTicks ticks.
 */
export function relativeAxis(t0: number, minSpan: number, maxTicks = 7): XAxis {
  return {
    range: (max) => [t0, Math.max(max, t0 + minSpan)],
    splits: (min, max) => {
      const span = max - t0;
      const step = REL_STEPS.find((s) => span / s <= maxTicks) ?? REL_STEPS[REL_STEPS.length - 1];
      const out: number[] = [];
      for (let k = Math.ceil((min - t0) / step); t0 + k * step <= max + 1e-9; k++) out.push(t0 + k * step);
      return out;
    },
    label: (sec) => {
      const s = Math.round(sec - t0);
      return s >= 120 && s % 60 === 0 ? `${s / 60} min` : `${s} s`;
    },
  };
}

/**
 * The y range of a chart: [0, yMax(m)], m being the chart's own max or, when
 * a shared max is given (lib/yscale.ts: both sides of one port), the larger
 * of the two, so charts that share one never clip a point of their own.
 */
export function yRange(ownMax: number | null, shared?: () => number): [number, number] {
  const own = ownMax !== null && Number.isFinite(ownMax) ? ownMax : 0;
  return [0, yMax(Math.max(own, shared ? shared() : 0))];
}

/**
 * @param shared the max both sides' charts scale to (lib/yscale.ts); the
 *   chart's own max when absent
 */
/** The x range a chart shows given its newest x: the custom axis's, else the trailing window. */
export function visibleWindow(windowSec: number, x?: XAxis): XWindow {
  return x ? x.range : trailingWindow(windowSec);
}

export function chartOptions(order: readonly string[], width: number, height: number, windowSec: number, chrome: ChartChrome, x?: XAxis, shared?: () => number): uPlot.Options {
  const series: uPlot.Series[] = [{}];
  const bands: uPlot.Band[] = [];
  order.forEach((state, i) => {
    const colour = stateColor(state);
    series.push({
      label: state,
      stroke: colour,
      width: 0,
      fill: i === 0 ? colour + FILL_ALPHA : undefined,
      points: { show: false },
    });
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
      // A fixed window ending at the newest point: the chart scrolls steadily.
      x: { time: true, range: (_u, _min, max) => visibleWindow(windowSec, x)(max) },
      y: { range: (_u, _min, max) => yRange(max, shared) },
    },
    axes: [
      x ? { ...axis('x'), space: 90, splits: (_u, _i, min, max) => x.splits(min, max), values: (_u, splits) => splits.map(x.label) } : { ...axis('x'), space: 110, values: (_u, splits) => splits.map(clock) },
      { ...axis('y'), values: (_u, splits) => splits.map((v) => (Number.isInteger(v) ? String(v) : '')) },
    ],
    series,
    bands,
  };
}
