// Downloads made from data the page holds: a watched port's timeline as CSV
// (one line per poll and side, one column per TCP state) and the file names
// of every download. Pure, no DOM (lib/download.ts saves the bytes).
//
// Timeline CSV, documented in the README ("Export and replay"):
//   time_ms,time_utc,side,ESTABLISHED,TIME_WAIT,...
//   1764619985250,2026-12-01T20:13:05.250Z,server,3,12,...
//   1764619985250,2026-12-01T20:13:05.250Z,client,3,0,...
// time_ms is the poll's Unix time in milliseconds; side is "server" (local
// port = P) or "client" (remote port = P); each state column is the number
// of sockets in that state at that poll. The states follow the charts'
// stacking order; states the server reports beyond those come after, by name.

import type { Timeline } from '../wire';
import { STACK_ORDER } from './states';

/** The state columns of a timeline: the charts' order first, then any other, sorted. */
export function timelineStates(tl: Pick<Timeline, 'server' | 'client'>): string[] {
  const known = new Set<string>(STACK_ORDER);
  const extra = [...new Set([...Object.keys(tl.server ?? {}), ...Object.keys(tl.client ?? {})])].filter((s) => !known.has(s)).sort();
  return [...STACK_ORDER, ...extra];
}

/** The timeline as CSV (see the file comment), CRLF-free, ending with a newline. */
export function timelineCSV(tl: Timeline): string {
  const states = timelineStates(tl);
  const lines = [['time_ms', 'time_utc', 'side', ...states].join(',')];
  for (let r = 0; r < tl.t.length; r++) {
    const t = tl.t[r];
    const iso = new Date(t).toISOString();
    for (const side of ['server', 'client'] as const) {
      const cols = tl[side] ?? {};
      lines.push([String(t), iso, side, ...states.map((s) => String(cols[s]?.[r] ?? 0))].join(','));
    }
  }
  return lines.join('\n') + '\n';
}

/** Parses timelineCSV's output back (for tests and checks): rows of numbers by side. */
export function parseTimelineCSV(csv: string): { states: string[]; rows: { t: number; side: string; counts: Record<string, number> }[] } {
  const [head, ...body] = csv.trimEnd().split('\n');
  const cols = head.split(',');
  const states = cols.slice(3);
  const rows = body.map((line) => {
    const f = line.split(',');
    const counts: Record<string, number> = {};
    states.forEach((s, i) => (counts[s] = Number(f[3 + i])));
    return { t: Number(f[0]), side: f[2], counts };
  });
  return { states, rows };
}

/** "20261201T201305Z": a compact UTC stamp for file names. */
export function fileStamp(d: Date): string {
  return d
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
}

/** "connlab-port-8080-timeline-20261201T201305Z.csv". */
export function timelineFileName(port: number, ext: 'csv' | 'json', now: Date): string {
  return `connlab-port-${port}-timeline-${fileStamp(now)}.${ext}`;
}

/** "connlab-server-side-of-port-8080-20261201T201305Z.png": a chart's title made a file name. */
export function chartFileName(title: string, now: Date): string {
  const slug = title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return `connlab-${slug || 'chart'}-${fileStamp(now)}.png`;
}
