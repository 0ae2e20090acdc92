import { describe, expect, it } from 'vitest';
import type { ExpSummary } from '../../wire';
import { recentRuns, whenText, type RecentSummary } from './recent';

function summary(id: string, startedAtMs: number, over: Partial<RecentSummary> = {}): RecentSummary {
  const s: ExpSummary = {
    id,
    preset: 'pool-churn',
    port: 40001,
    status: 'completed',
    startedAt: new Date(startedAtMs).toISOString(),
    startedAtMs,
    progress: { phase: 'done', elapsedMs: 12_300, workloadMs: 10_000, requestsDone: 30, requestsTarget: 30, durationMs: 0, observeMs: 2000 },
    requests: 30,
    errors: 0,
    connections: 1,
  };
  return { ...s, ...over };
}

describe('recent runs', () => {
  const now = new Date(2026, 11, 1, 21, 0, 0);
  const t = (h: number, m: number) => new Date(2026, 11, 1, h, m, 5).getTime();

  it('lists finished runs only, newest first, bounded', () => {
    const list = [summary('a', t(20, 1)), summary('b', t(20, 3), { status: 'running' }), summary('c', t(20, 2), { status: 'stopped' }), summary('d', t(20, 5), { status: 'failed' })];
    expect(recentRuns(list, now).map((r) => [r.id, r.status])).toEqual([
      ['d', 'failed'],
      ['c', 'stopped'],
      ['a', 'completed'],
    ]);
    expect(recentRuns(list, now, 2).map((r) => r.id)).toEqual(['d', 'c']);
  });

  it('says what each run did, its answer and whether it is saved', () => {
    const [r] = recentRuns([summary('a', t(20, 1), { answer: 'The server closed `27` of 30 first', saved: true, errors: 2, preset: '' })], now);
    expect(r).toMatchObject({ preset: 'custom', when: '20:01:05', figures: '12.3 s · 30 requests · 1 connection · 2 errors', answer: 'The server closed 27 of 30 first', saved: true });
    const [h] = recentRuns([summary('a', t(20, 1), { headline: 'Reused' })], now);
    expect(h.answer).toBe('Reused');
    expect(h.saved).toBe(false);
  });

  it('dates a run of another day', () => {
    expect(whenText(new Date(2026, 10, 30, 9, 7, 1).getTime(), now)).toBe('30 Nov 09:07');
    expect(whenText(new Date(2026, 11, 1, 9, 7, 1).getTime(), now)).toBe('09:07:01');
  });
});
