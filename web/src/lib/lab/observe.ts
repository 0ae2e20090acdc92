// Why a run's observe phase ended before its planned time, in words for the
// progress panel (wire ExpProgress.observeEnded). Pure.

import type { ExpProgress } from '../../wire';
import { formatElapsed } from './progress';

/** "Observe skipped (planned 1 min 05 s)", "Observe ended early: …", or null when it ran its time or runs still. */
export function observeEndedText(p: Pick<ExpProgress, 'observeEnded' | 'observeMs'>): string | null {
  const planned = `planned ${formatElapsed(p.observeMs)}`;
  switch (p.observeEnded) {
    case 'skipped':
      return `Observe skipped (${planned})`;
    case 'drained':
      return `Observe ended early: nothing left to drain (${planned})`;
    default:
      return null;
  }
}
