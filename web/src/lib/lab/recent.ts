// The Lab's "Recent runs": the finished experiments GET /api/experiments
// lists (in memory, or saved in the state directory and listed again after
// a restart), newest first, each as one line of text. Pure.

import type { ExpSummary } from '../../wire';
import { formatElapsed } from './progress';

/** At most this many recent runs are listed. */
export const RECENT_MAX = 12;

/** A summary as the list may carry it: the answer, and whether it is saved on disk, when the server says. */
export type RecentSummary = ExpSummary & { answer?: string; headline?: string; saved?: boolean };

export interface RecentRun {
  id: string;
  preset: string;
  status: string;
  /** "20:13:05" today, else "1 Dec 20:13". */
  when: string;
  /** ISO start time, for a tooltip. */
  startedAt: string;
  /** "12.3 s · 30 requests · 30 connections". */
  figures: string;
  /** The run's answer (or headline) when the list carries one. */
  answer: string;
  saved: boolean;
}

/** The finished runs of a list, newest first, at most max. */
export function recentRuns(list: readonly RecentSummary[], now: Date, max = RECENT_MAX): RecentRun[] {
  return list
    .filter((e) => e.status !== 'running')
    .sort((a, b) => b.startedAtMs - a.startedAtMs || (a.id < b.id ? 1 : -1))
    .slice(0, max)
    .map((e) => ({
      id: e.id,
      preset: e.preset || 'custom',
      status: e.status,
      when: whenText(e.startedAtMs, now),
      startedAt: e.startedAt,
      figures: `${formatElapsed(e.progress?.elapsedMs ?? 0)} · ${plural(e.requests, 'request')} · ${plural(e.connections, 'connection')}${e.errors ? ` · ${plural(e.errors, 'error')}` : ''}`,
      answer: (e.answer || e.headline || '').replaceAll('`', ''),
      saved: e.saved === true,
    }));
}

/** Local time of day for a run of today, else day, month and time. */
export function whenText(ms: number, now: Date): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  const time = `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  if (d.getFullYear() === now.getFullYear() && d.getMonth() === now.getMonth() && d.getDate() === now.getDate()) return time;
  return `${d.getDate()} ${MONTHS[d.getMonth()]} ${time.slice(0, 5)}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function plural(n: number, word: string): string {
  return `${(n ?? 0).toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}
