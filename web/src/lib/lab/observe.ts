// Why a run's observe phase ended before its planned time, in words for the
// progress panel (wire ExpProgress.observeEnded): a short note after the
// caption (a 720p screen keeps it on one line) and a longer title. Pure.

import type { ExpProgress } from '../../wire';
import { formatElapsed } from './progress';

export interface ObserveEnded {
  /** "observe skipped", "observe ended early: drained". */
  note: string;
  /** The same with the planned observe time. */
  title: string;
}

/** Why observe ended early, or null when it ran its time or runs still. */
export function observeEnded(p: Pick<ExpProgress, 'observeEnded' | 'observeMs'>): ObserveEnded | null {
  const planned = `of the ${formatElapsed(p.observeMs)} planned`;
  switch (p.observeEnded) {
    case 'skipped':
      return { note: 'observe skipped', title: `Observe skipped (Skip observe) before the end ${planned}` };
    case 'drained':
      return { note: 'observe ended early: drained', title: `Observe ended before the end ${planned}: no TIME_WAIT left and nothing happening` };
    default:
      return null;
  }
}
