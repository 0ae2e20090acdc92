// What the Watch view says about a port's connection flow: the tiles (who
// closed first, resets, openings, lifetimes, the TIME_WAIT forecast) as
// text, and the line naming the live source. Truth first: every figure from
// polls is a lower bound and is shown as one ("≥ 12"); what polls cannot
// see at all (resets, lifetimes) says so instead of showing 0. Pure:
// figures in, strings out.

import type { Flow, System } from '../wire';
import { formatInt, formatPercent } from './format';
import { CLOSE_COLORS, STATE_COLORS } from './states';

export type FlowTileId = 'closed-server' | 'closed-client' | 'closed-both' | 'reset' | 'opened' | 'lifetime' | 'tw-server' | 'tw-client';

export interface FlowTile {
  id: FlowTileId;
  label: string;
  /** The big figure as shown: "≥ 12", "12", "3.1/s", "≈ 58", "not seen". */
  value: string;
  /** The figure itself (over the window); null when not measured. */
  n: number | null;
  /** Since watching began, for counts; null otherwise. */
  total: number | null;
  /** The line under the figure. */
  detail: string;
  /** Colour of the tile's mark: a hex state colour or a CSS variable. */
  colour: string;
  lowerBound: boolean;
  /** Something to act on (ephemeral ports running out). */
  alarm?: boolean;
}

/** "12" or, for a lower bound, "≥ 12". */
export function bound(n: number, lowerBound: boolean, fmt: (n: number) => string = formatInt): string {
  return lowerBound ? `≥ ${fmt(n)}` : fmt(n);
}

/** Per-second rate: one decimal under 10 ("0.5", "3.1"), whole above ("58", "1,204"). */
export function formatRate(perSec: number): string {
  if (perSec > 0 && perSec < 0.05) return '< 0.1';
  return perSec < 10 ? perSec.toFixed(1) : formatInt(perSec);
}

/** Milliseconds, at a readable precision: "0.42 ms", "5.1 ms", "51 ms", "1.5 s", "4.2 min". */
export function formatMs(ms: number): string {
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/** A span in seconds, rounded for a headline: "45 s", "7 min", "2.3 h", "3.1 days". */
export function formatSpan(sec: number): string {
  if (sec < 90) return `${Math.max(0, Math.round(sec))} s`;
  if (sec < 5400) return `${Math.round(sec / 60)} min`;
  if (sec < 172_800) return `${(sec / 3600).toFixed(1)} h`;
  return `${(sec / 86_400).toFixed(1)} days`;
}

/** Local wall-clock time of an RFC3339 instant, "13:21:05"; "" when unreadable. */
export function clockOf(rfc3339: string): string {
  const t = Date.parse(rfc3339);
  if (!Number.isFinite(t)) return '';
  const d = new Date(t);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** "last 60 s", or the shorter span just after watching began ("last 12 s"). */
export function windowLabel(windowSec: number): string {
  return `last ${windowSec > 0 && windowSec < 59.5 ? Math.max(1, Math.round(windowSec)) : 60} s`;
}

function sinceText(f: Flow): string {
  const at = clockOf(f.since);
  return at ? `since ${at}` : 'since watching began';
}

/** The tiles, in display order: who closed first, then the rest. */
export function flowTiles(f: Flow): FlowTile[] {
  const lb = f.lowerBound;
  const w = f.last60s;
  const win = windowLabel(w.windowSec);
  const since = sinceText(f);
  const closes = w.closedFirst.server + w.closedFirst.client + w.closedFirst.simultaneous;
  const share = (n: number) => (!lb && closes > 0 ? `${formatPercent(n / closes)} of closes · ` : '');
  const closer = (id: FlowTileId, label: string, n: number, total: number, colour: string): FlowTile => ({
    id,
    label,
    value: bound(n, lb),
    n,
    total,
    detail: `${share(n)}${bound(total, lb)} ${since}`,
    colour,
    lowerBound: lb,
  });
  const tiles: FlowTile[] = [
    closer('closed-server', 'Server closed first', w.closedFirst.server, f.total.closedFirst.server, CLOSE_COLORS.first),
    closer('closed-client', 'Client closed first', w.closedFirst.client, f.total.closedFirst.client, CLOSE_COLORS.first),
    closer('closed-both', 'Both closed at once', w.closedFirst.simultaneous, f.total.closedFirst.simultaneous, CLOSE_COLORS.simultaneous),
  ];
  if (f.source === 'polls') {
    tiles.push({ id: 'reset', label: 'Ended by RST', value: 'not seen', n: null, total: null, detail: 'an RST leaves no TIME_WAIT for a poll to find', colour: 'var(--error)', lowerBound: true });
  } else {
    tiles.push({ id: 'reset', label: 'Ended by RST', value: formatInt(w.reset), n: w.reset, total: f.total.reset, detail: `${formatInt(f.total.reset)} ${since}`, colour: 'var(--error)', lowerBound: false });
  }
  tiles.push({
    id: 'opened',
    label: 'Connections opened',
    value: `${bound(w.perSec, lb, formatRate)}/s`,
    n: w.perSec,
    total: f.total.opened,
    detail: `${bound(w.opened, lb)} in the ${win} · ${bound(f.total.opened, lb)} ${since}`,
    colour: STATE_COLORS.ESTABLISHED,
    lowerBound: lb,
  });
  const { p50, p99, n } = f.lifetimeMs;
  if (f.source === 'polls') {
    tiles.push({
      id: 'lifetime',
      label: 'Lifetime p50 / p99',
      value: 'not measured',
      n: null,
      total: null,
      detail: 'polls see neither the opening nor the close of a short connection',
      colour: STATE_COLORS.ESTABLISHED,
      lowerBound: true,
    });
  } else if (p50 === null) {
    tiles.push({ id: 'lifetime', label: 'Lifetime p50 / p99', value: '—', n: null, total: null, detail: `no connection ended in the ${win}`, colour: STATE_COLORS.ESTABLISHED, lowerBound: false });
  } else {
    tiles.push({
      id: 'lifetime',
      label: 'Lifetime p50 / p99',
      value: formatMs(p50),
      n: p50,
      total: null,
      detail: `p99 ${p99 === null ? '—' : formatMs(p99)} · ${formatInt(n)} ${n === 1 ? 'connection' : 'connections'} ended in the ${win}`,
      colour: STATE_COLORS.ESTABLISHED,
      lowerBound: false,
    });
  }
  const tw = f.forecast.timeWaitSteady;
  const forecast = (v: number) => (lb ? bound(Math.round(v), true) : `≈ ${formatInt(v)}`);
  tiles.push({
    id: 'tw-server',
    label: 'Server TIME_WAIT ahead',
    value: forecast(tw.server),
    n: tw.server,
    total: null,
    detail: `forecast, held at this rate: ${bound(tw.server / 60, lb, formatRate)} closes/s × 60 s`,
    colour: STATE_COLORS.TIME_WAIT,
    lowerBound: lb,
  });
  const ex = f.forecast.ephemeralExhaustSec;
  tiles.push({
    id: 'tw-client',
    label: 'Client TIME_WAIT ahead',
    value: forecast(tw.client),
    n: tw.client,
    total: null,
    detail:
      ex === null
        ? `forecast, held at this rate: ${bound(tw.client / 60, lb, formatRate)} closes/s × 60 s`
        : `ephemeral ports toward one destination run out in ${lb ? 'at most ' : ''}${formatSpan(ex)} at this rate`,
    colour: STATE_COLORS.TIME_WAIT,
    lowerBound: lb,
    alarm: ex !== null,
  });
  return tiles;
}

export interface SourceInfo {
  source: 'ebpf' | 'polls';
  /** "kernel transitions (eBPF): exact" or "polls every 250 ms: lower bounds". */
  headline: string;
  /** What the source misses, why eBPF is off, how to get exact counts; losses. */
  notes: string[];
}

/** How to get exact counts (README: running it privileged). */
export const EXACT_HOWTO = 'For exact counts run connlab as root, or once: sudo setcap cap_bpf,cap_perfmon+ep ./connlab (Linux 5.12+ with BTF).';

/**
 * Which source counts this port's connections, and what that means. The
 * port's own flow decides; before the first one arrives, the system's.
 */
export function sourceInfo(f: Flow | null | undefined, system: System | null, intervalMs: number): SourceInfo {
  const source = f?.source ?? system?.transitions ?? 'polls';
  const notes: string[] = [];
  if (source === 'ebpf') {
    if (f?.lostEvents) notes.push(`${formatInt(f.lostEvents)} kernel events lost (ring buffer full, all ports): counts may be short by as much.`);
    if (f?.untracked) notes.push(`${formatInt(f.untracked)} connections beyond the follow limit: counted as opened, their closes not seen.`);
    return { source, headline: 'kernel transitions (eBPF): exact', notes };
  }
  notes.push(`Not seen from polls: ${f?.missing || 'connections shorter than a poll, closes by RST and lifetimes'}.`);
  if (system?.transitionsNote) notes.push(`eBPF is off: ${system.transitionsNote}`);
  notes.push(EXACT_HOWTO);
  return { source, headline: `polls every ${formatInt(intervalMs)} ms: lower bounds`, notes };
}
