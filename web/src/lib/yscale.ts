// One y scale for the two charts of a port (server side and client side):
// each chart on its own scale would draw 248 TIME_WAIT and 54 TIME_WAIT at
// the same height, and the side that piles up would not look taller.
//
// Rule: both charts' y range is [0, yMax(m)], where m is the highest stacked
// total (the sum of every state at one poll) of either side among the points
// inside the visible x window, the window ending at the newest point of
// either side. Pure, no DOM.

import type { StackedSeries } from './series';

/** The visible x range (seconds) of a chart, given its newest x. */
export type XWindow = (newest: number) => [number, number];

/** The Watch view's window: the `windowSec` seconds up to the newest point. */
export function trailingWindow(windowSec: number): XWindow {
  return (newest) => [newest - windowSec, newest];
}

/** The newest x (seconds) of any of the series, or NaN when all are empty. */
export function newestTime(sides: readonly StackedSeries[]): number {
  let t = NaN;
  for (const s of sides) if (s.length && (Number.isNaN(t) || s.lastTime > t)) t = s.lastTime;
  return t;
}

/**
 * The highest stacked total of any side over the visible window: the value
 * both charts' y range is built from. 0 when no side has data.
 */
export function sharedMax(sides: readonly StackedSeries[], window: XWindow): number {
  const newest = newestTime(sides);
  if (Number.isNaN(newest)) return 0;
  const [from, to] = window(newest);
  let m = 0;
  for (const s of sides) m = Math.max(m, s.maxTotal(from, to));
  return m;
}
