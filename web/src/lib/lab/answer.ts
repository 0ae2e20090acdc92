// The one line that answers a preset's question, shown right under it, and
// what a kernel chart of a run says when it has nothing to draw. Pure.
//
// The answer is the server's `answer` when it sends one (set by the verdict
// from the measured evidence); otherwise the verdict's first finding, the
// findings being ordered by the verdict with the one that answers the
// question first. The "run stopped before the end" finding is not an answer:
// it marks the answer as partial instead.

import type { ExpStatus, Finding } from '../../wire';
import { UNFINISHED_ID } from './verdict';

export interface Answer {
  text: string;
  /** Where it came from: the server's answer, or the verdict's first finding. */
  from: 'server' | 'finding';
  /** The run has ended: the answer will not change. */
  final: boolean;
  /** The run stopped or failed before the end: the evidence may be partial. */
  partial: boolean;
}

export interface AnswerFacts {
  answer?: string;
  findings: readonly Finding[];
  status: ExpStatus;
}

export function answerOf(f: AnswerFacts): Answer | null {
  const final = f.status !== 'running';
  const partial = f.status === 'stopped' || f.status === 'failed';
  const own = f.answer?.trim();
  if (own) return { text: own, from: 'server', final, partial };
  const first = f.findings.find((x) => x.id !== UNFINISHED_ID);
  if (!first) return null;
  return { text: first.text, from: 'finding', final, partial };
}

/** What an empty kernel chart of a run says: while it runs, nothing yet; after, why. */
export function emptyChartText(done: boolean): string {
  return done ? 'no socket outlived a poll: see the swimlanes' : 'no sockets yet';
}
