// The "closed first by" charts of one port: closes per second on each side,
// built from the flow figures each poll brings (the totals only grow, so the
// change over the trailing second is what closed in it). Each side's chart
// stacks the connections that side closed first and those both sides closed
// at once (they count on both charts: each side holds a TIME_WAIT for them).
// Columns live in StackedSeries (series.ts), uPlot-ready; both sides of a
// port are drawn on one y scale (sharedMax). Pure, no DOM; time passed in.

import type { Flow } from '../wire';
import { StackedSeries } from './series';

/** Stack order of a side's chart, bottom first. */
export const CLOSES_ORDER = ['first', 'simultaneous'] as const;

/** The rate is taken over at least this span, ms: one close shows as 1/s for a second, not as 4/s for one poll. */
export const RATE_SPAN_MS = 1000;

interface Sample {
  t: number;
  server: number;
  client: number;
  both: number;
}

function totals(t: number, f: Flow): Sample {
  const c = f.total.closedFirst;
  return { t, server: c.server, client: c.client, both: c.simultaneous };
}

export class ClosesSeries {
  readonly server: StackedSeries;
  readonly client: StackedSeries;
  /** Samples of the totals, oldest first: the newest one at least RATE_SPAN_MS old, and the rest. */
  #samples: Sample[] = [];
  #since = '';
  #version = 0;

  /**
   * @param capacity points kept per side (the chart window)
   */
  constructor(capacity: number) {
    this.server = new StackedSeries(capacity, CLOSES_ORDER);
    this.client = new StackedSeries(capacity, CLOSES_ORDER);
  }

  clear(): void {
    this.server.clear();
    this.client.clear();
    this.#samples = [];
    this.#since = '';
    this.#version++;
  }

  get length(): number {
    return this.server.length;
  }

  /** Changes whenever the columns do: redraw the charts only then. */
  get version(): number {
    return this.#version;
  }

  /**
   * Adds the figures of one poll (server time tMs, Unix ms). Watching that
   * began again (a new `since`) or totals that went down start the charts
   * afresh. Returns whether a point was added.
   */
  push(tMs: number, f: Flow): boolean {
    const s = totals(tMs, f);
    const last = this.#samples[this.#samples.length - 1];
    if (f.since !== this.#since || (last && (s.server < last.server || s.client < last.client || s.both < last.both))) {
      this.clear();
      this.#since = f.since;
    } else if (last && tMs <= last.t) {
      return false;
    }
    this.#samples.push(s);
    // Keep one sample at or before tMs - RATE_SPAN_MS as the base, and what follows it.
    let base = 0;
    for (let i = this.#samples.length - 1; i >= 0; i--) {
      if (this.#samples[i].t <= tMs - RATE_SPAN_MS) {
        base = i;
        break;
      }
    }
    if (base > 0) this.#samples.splice(0, base);
    const b = this.#samples[0];
    // Per second over the span since the base; never over less than RATE_SPAN_MS (no extrapolation at the start).
    const per = 1000 / Math.max(tMs - b.t, RATE_SPAN_MS);
    const both = (s.both - b.both) * per;
    this.server.push(tMs, { first: (s.server - b.server) * per, simultaneous: both });
    this.client.push(tMs, { first: (s.client - b.client) * per, simultaneous: both });
    this.#version++;
    return true;
  }

  /** The highest stacked value of either side in the window: both charts scale to it. */
  sharedMax(): number {
    return Math.max(this.server.maxTotal(), this.client.maxTotal());
  }
}
