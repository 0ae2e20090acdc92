// Which findings the verdict card shows. The server computes the verdict on
// every update; while the run is still going its "completed" finding says
// "Run stopped before the end", which is true of a snapshot but reads as
// an alarm on a live screen: it is left out until the run has ended (a
// stopped or failed run keeps it). Pure.

import type { ExpStatus, Finding } from '../../wire';

/** The id of the finding about an unfinished run (internal/verdict IDCompleted). */
export const UNFINISHED_ID = 'completed';

export function shownFindings(findings: readonly Finding[], status: ExpStatus): Finding[] {
  if (status !== 'running') return [...findings];
  return findings.filter((f) => f.id !== UNFINISHED_ID);
}

/**
 * The index of the finding the card shows as its headline: the first one
 * (the verdict orders the finding that answers the question first), passing
 * over the unfinished-run warning, which stays above it. -1 when none.
 */
export function headlineIndex(findings: readonly Finding[]): number {
  return findings.findIndex((f) => f.id !== UNFINISHED_ID);
}
