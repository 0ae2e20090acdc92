// What the progress panel shows for a run: the phase steps, one bar and its
// caption, elapsed time and requests, and the connection counts under the
// names every view uses (counts.ts). Pure.

import type { ExpConnections, ExpPhase, ExpProgress, ExpStatus } from '../../wire';
import { formatInt } from '../format';
import { connCounts } from './counts';
import { secondsLeft } from './lanes';

export type StepState = 'done' | 'current' | 'todo';

export interface ProgressView {
  steps: { id: ExpPhase; label: string; state: StepState }[];
  /** 0..1, or null when the run has no bound (until stopped). */
  fraction: number | null;
  caption: string;
  elapsed: string;
  requests: string;
  /** ms left of the observe tail while observing, else null. */
  observeLeftMs: number | null;
}

const PHASES: readonly { id: ExpPhase; label: string }[] = [
  { id: 'workload', label: 'Workload' },
  { id: 'observe', label: 'Observe' },
  { id: 'teardown', label: 'Teardown' },
  { id: 'done', label: 'Done' },
];

/** "12.3 s", "1 min 05 s". */
export function formatElapsed(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${String(Math.floor(s - m * 60)).padStart(2, '0')} s`;
}

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

export function progressView(p: ExpProgress, status: ExpStatus, error?: string): ProgressView {
  const at = Math.max(
    0,
    PHASES.findIndex((x) => x.id === p.phase),
  );
  const steps = PHASES.map((x, i) => ({ ...x, state: (i < at || p.phase === 'done' ? 'done' : i === at ? 'current' : 'todo') as StepState }));
  const requests = p.requestsTarget > 0 ? `${formatInt(p.requestsDone)} / ${formatInt(p.requestsTarget)}` : formatInt(p.requestsDone);
  const elapsed = formatElapsed(p.elapsedMs);
  const base = { steps, elapsed, requests, observeLeftMs: null };
  if (status === 'failed') return { ...base, fraction: 1, caption: `Failed${error ? `: ${error}` : ''}` };
  if (status === 'stopped') return { ...base, fraction: 1, caption: `Stopped after ${elapsed}` };
  switch (p.phase) {
    case 'workload':
      if (p.requestsTarget > 0) return { ...base, fraction: clamp01(p.requestsDone / p.requestsTarget), caption: `Workload: ${requests} requests` };
      if (p.durationMs > 0) return { ...base, fraction: clamp01(p.workloadMs / p.durationMs), caption: `Workload: ${formatElapsed(p.workloadMs)} of ${formatElapsed(p.durationMs)}` };
      return { ...base, fraction: null, caption: `Workload: ${requests} requests, until you press Stop` };
    case 'observe': {
      const seen = p.elapsedMs - p.workloadMs;
      const left = Math.max(0, p.observeMs - seen);
      return { ...base, fraction: p.observeMs > 0 ? clamp01(seen / p.observeMs) : 1, caption: `Observing: ${secondsLeft(left)} left`, observeLeftMs: left };
    }
    case 'teardown':
      return { ...base, fraction: 1, caption: 'Teardown: closing what is left' };
    default:
      return { ...base, fraction: 1, caption: status === 'completed' ? `Completed in ${elapsed}` : 'Done' };
  }
}

/** The progress panel's connection figures: connections opened, big, and
 * what became of them on one short line, under the names the verdict,
 * Compare and `connlab run` use ("380 carried requests · 240 never used · 2
 * closed by teardown"). Closed by teardown shows once the teardown has
 * begun. */
export function connectionsView(c: ExpConnections, phase: ExpPhase): { opened: string; detail: string } {
  const [opened, ...rest] = connCounts(c);
  const shown = rest.filter((x) => x.id !== 'teardown' || phase === 'teardown' || phase === 'done');
  return { opened: formatInt(opened.n), detail: shown.map((x) => `${formatInt(x.n)} ${x.label}`).join(' · ') };
}
