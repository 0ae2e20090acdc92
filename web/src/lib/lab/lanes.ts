// Swimlane geometry: one lane per connection, the most recent `maxLanes`.
// Each lane has two tracks, the server's socket on top and the client's
// below: each drawn from the connection's open to that side's close, request
// marks across both, the end marked with who closed first (or RST), then
// the TIME_WAIT bar on the track of the side that holds it, counting down.
//
// Time axis: connections live milliseconds while TIME_WAIT lasts 60 s, so
// one linear axis would squash the connections to a pixel. When the
// TIME_WAIT tail is long compared with the activity, the axis is split: the
// left part (SPLIT of the plot) spans the lanes' activity [t0, tb], the
// right part the rest [tb, t1] (TIME_WAIT countdowns, the observe tail).
// Pure: numbers in, geometry out; the component only paints.

import type { Lane } from '../../wire';

export interface LaneOpts {
  /** Canvas width, CSS px. */
  width: number;
  /** Lanes drawn at most (the most recent). */
  maxLanes: number;
  /** Left column (lane labels) and right column (how it ended), px. */
  labelW: number;
  endW: number;
  /** Lane row height and the height of one track in it, px. */
  rowH: number;
  trackH: number;
  /** Axis band height at the top, px. */
  axisH: number;
  /** Shortest bar drawn, px: a 0.2 ms connection still shows. */
  minBarPx: number;
}

export const DEFAULT_LANE_OPTS: Omit<LaneOpts, 'width'> = {
  maxLanes: 30,
  labelW: 96,
  endW: 300,
  rowH: 30,
  trackH: 11,
  axisH: 30,
  minBarPx: 4,
};

/** Share of the plot width given to the activity part of a split axis. */
export const SPLIT = 0.55;
/** Split the axis when the tail is longer than this times the activity span. */
export const SPLIT_RATIO = 0.5;

export interface TimeScale {
  t0: number;
  /** End of the activity part (== t1 when not split). */
  tb: number;
  t1: number;
  /** Plot left, split point and right, px. */
  xa: number;
  xb: number;
  xc: number;
  split: boolean;
}

/** Experiment ms -> x px on a (maybe split) scale; clamped to the plot. */
export function xOf(s: TimeScale, t: number): number {
  const c = Math.min(Math.max(t, s.t0), s.t1);
  if (!s.split || c <= s.tb) return s.xa + ((c - s.t0) / Math.max(s.tb - s.t0, 1e-9)) * (s.xb - s.xa);
  return s.xb + ((c - s.tb) / Math.max(s.t1 - s.tb, 1e-9)) * (s.xc - s.xb);
}

export type LaneEnd = 'open' | 'server' | 'client' | 'simultaneous' | 'rst';

export interface Bar {
  x0: number;
  x1: number;
}

export interface LaneGeom {
  id: number;
  label: string;
  /** Top of the row, px. */
  y: number;
  server: Bar;
  client: Bar;
  marks: number[];
  end: LaneEnd;
  /** Where the first close happened (null while open). */
  endX: number | null;
  /** Right column: how it ended. */
  endText: string;
  tw: { side: 'server' | 'client' | 'both'; x0: number; xNow: number; x1: number; leftMs: number } | null;
}

export interface Tick {
  x: number;
  label: string;
}

export interface LaneLayout {
  scale: TimeScale;
  lanes: LaneGeom[];
  /** Lanes not drawn (older than the most recent maxLanes). */
  hidden: number;
  height: number;
  ticks: Tick[];
  nowX: number;
}

/** When a lane's TIME_WAIT ends (ms since start), or null. */
export function timeWaitEnd(l: Lane): number | null {
  if (!l.timeWait || l.timeWaitMs === undefined) return null;
  return l.timeWaitMs + (l.timeWaitLeftMs ?? 0);
}

function ended(l: Lane): boolean {
  return !!l.closedBy || l.end === 'fin' || l.end === 'rst';
}

/** Last moment of a lane's own activity (its close, or now while open). */
function activityEnd(l: Lane, now: number): number {
  if (!ended(l)) return Math.max(now, l.openedMs);
  return Math.max(l.openedMs, l.lastReqMs ?? 0, l.closedMs ?? 0, l.endedMs ?? 0);
}

export function laneEnd(l: Lane): LaneEnd {
  if (l.end === 'rst') return 'rst';
  if (!ended(l)) return 'open';
  return l.closedBy === 'client' || l.closedBy === 'simultaneous' ? l.closedBy : 'server';
}

/** "43 s", "1.5 s" for countdowns. */
export function secondsLeft(ms: number): string {
  if (ms <= 0) return '0 s';
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.ceil(ms / 1000)} s`;
}

function endText(l: Lane, end: LaneEnd, twLeft: number | null): string {
  let t: string;
  switch (end) {
    case 'open':
      t = l.serverState === 'idle' ? 'open, idle' : 'open';
      break;
    case 'rst':
      t = l.resetBy ? `RST by ${l.resetBy}` : 'RST';
      break;
    case 'simultaneous':
      t = 'both closed at once';
      break;
    default:
      t = `${end} closed first`;
  }
  if (l.idleClosed) t += ' (idle)';
  else if (l.teardown) t += ' (teardown)';
  if (twLeft !== null) t += twLeft > 0 ? ` · TW ${secondsLeft(twLeft)}` : ' · TW over';
  return t;
}

/** Time span of the visible lanes and whether to split the axis. */
export function makeScale(lanes: readonly Lane[], now: number, xa: number, xc: number): TimeScale {
  if (lanes.length === 0) return { t0: 0, tb: Math.max(now, 1), t1: Math.max(now, 1), xa, xb: xc, xc, split: false };
  let t0 = Infinity;
  let tb = -Infinity;
  let t1 = now;
  for (const l of lanes) {
    t0 = Math.min(t0, l.openedMs);
    tb = Math.max(tb, activityEnd(l, now));
    const tw = timeWaitEnd(l);
    if (tw !== null) t1 = Math.max(t1, tw);
  }
  // A little room either side of the activity, so the first and last marks are not on the edge.
  const pad = Math.max((tb - t0) * 0.03, 0.5);
  t0 = Math.max(0, t0 - pad);
  tb = tb + pad;
  t1 = Math.max(t1, tb);
  const split = t1 - tb > SPLIT_RATIO * (tb - t0);
  if (!split) return { t0, tb: t1, t1, xa, xb: xc, xc, split: false };
  return { t0, tb, t1, xa, xb: xa + (xc - xa) * SPLIT, xc, split: true };
}

const STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000];

/** Axis label for ms since the start: "250 ms", "1.5 s", "60 s", "2 min". */
export function tickLabel(ms: number, step: number): string {
  if (step < 1000 && ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (step >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${step < 1000 ? s.toFixed(step < 100 ? 2 : 1) : Math.round(s)} s`;
}

/** Ticks for one part of the axis, at least minGap px apart. */
function partTicks(s: TimeScale, from: number, to: number, px: number, minGap: number): Tick[] {
  if (to <= from || px <= 0) return [];
  const step = STEPS.find((st) => (st / (to - from)) * px >= minGap) ?? STEPS[STEPS.length - 1];
  const out: Tick[] = [];
  for (let t = Math.ceil(from / step) * step; t <= to + 1e-9; t += step) out.push({ x: xOf(s, t), label: tickLabel(t, step) });
  return out;
}

export function axisTicks(s: TimeScale, minGap = 110): Tick[] {
  const left = partTicks(s, s.t0, s.tb, s.xb - s.xa, minGap);
  if (!s.split) return left;
  const right = partTicks(s, s.tb, s.t1, s.xc - s.xb, minGap).filter((t) => t.x - s.xb >= minGap * 0.6);
  return [...left.filter((t) => s.xb - t.x >= minGap * 0.4), ...right];
}

function bar(s: TimeScale, from: number, to: number, minPx: number): Bar {
  const x0 = xOf(s, from);
  const x1 = Math.max(xOf(s, to), x0 + minPx);
  return { x0, x1 };
}

/**
 * Lays out the most recent lanes (input oldest first, as ExpRun.laneList),
 * newest at the bottom.
 * @param marks request start times by lane id (ms since start)
 * @param now ms since the experiment started
 */
export function layoutLanes(all: readonly Lane[], marks: ReadonlyMap<number, readonly number[]>, now: number, o: LaneOpts): LaneLayout {
  const lanes = all.slice(Math.max(0, all.length - o.maxLanes));
  const xa = o.labelW;
  const xc = Math.max(xa + 40, o.width - o.endW);
  const scale = makeScale(lanes, now, xa, xc);
  const geoms: LaneGeom[] = lanes.map((l, i) => {
    const end = laneEnd(l);
    const closed = l.closedMs ?? l.endedMs ?? now;
    const done = l.endedMs ?? closed;
    let sEnd: number;
    let cEnd: number;
    if (end === 'open') sEnd = cEnd = now;
    else if (end === 'server') [sEnd, cEnd] = [closed, done];
    else if (end === 'client') [sEnd, cEnd] = [done, closed];
    else sEnd = cEnd = closed;
    const twEnd = timeWaitEnd(l);
    let tw: LaneGeom['tw'] = null;
    if (twEnd !== null && l.timeWait) {
      const start = Math.min(l.endedMs ?? l.closedMs ?? l.timeWaitMs ?? twEnd, twEnd);
      const x0 = xOf(scale, start);
      const x1 = Math.max(xOf(scale, twEnd), x0 + o.minBarPx);
      tw = { side: l.timeWait, x0, x1, xNow: Math.min(Math.max(xOf(scale, now), x0), x1), leftMs: Math.max(0, twEnd - now) };
    }
    let ms = marks.get(l.id) ?? [];
    if (ms.length === 0 && l.requests > 0) ms = [l.firstReqMs, l.lastReqMs].filter((t): t is number => t !== undefined && t > 0);
    return {
      id: l.id,
      label: `:${l.clientPort}`,
      y: o.axisH + i * o.rowH,
      server: bar(scale, l.openedMs, sEnd, o.minBarPx),
      client: bar(scale, l.openedMs, cEnd, o.minBarPx),
      marks: [...new Set(ms.map((t) => Math.round(xOf(scale, t))))],
      end,
      endX: end === 'open' ? null : xOf(scale, closed),
      endText: endText(l, end, tw ? tw.leftMs : null),
      tw,
    };
  });
  return {
    scale,
    lanes: geoms,
    hidden: all.length - lanes.length,
    height: o.axisH + lanes.length * o.rowH + 4,
    ticks: axisTicks(scale),
    nowX: xOf(scale, now),
  };
}
