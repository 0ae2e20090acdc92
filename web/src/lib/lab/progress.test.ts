import { describe, expect, it } from 'vitest';
import type { ExpProgress } from '../../wire';
import { CONN_LABELS, connCounts, reuseOf } from './counts';
import { result } from './fixtures';
import { connectionsView, formatElapsed, progressView } from './progress';

const P: ExpProgress = { phase: 'workload', elapsedMs: 250, workloadMs: 250, requestsDone: 4, requestsTarget: 10, durationMs: 0, observeMs: 65_000 };

describe('progress', () => {
  it('workload bound by requests', () => {
    const v = progressView(P, 'running');
    expect(v.fraction).toBeCloseTo(0.4);
    expect(v.caption).toBe('Workload: 4 / 10 requests');
    expect(v.requests).toBe('4 / 10');
    expect(v.steps.map((s) => s.state)).toEqual(['current', 'todo', 'todo', 'todo']);
  });

  it('workload bound by time, or by nothing', () => {
    expect(progressView({ ...P, requestsTarget: 0, durationMs: 3000, workloadMs: 1500 }, 'running')).toMatchObject({ fraction: 0.5, caption: 'Workload: 1.5 s of 3.0 s' });
    const u = progressView({ ...P, requestsTarget: 0, untilStopped: true }, 'running');
    expect(u.fraction).toBeNull();
    expect(u.caption).toContain('until you press Stop');
  });

  it('observe counts down', () => {
    const v = progressView({ ...P, phase: 'observe', workloadMs: 500, elapsedMs: 500 + 20_000 }, 'running');
    expect(v.observeLeftMs).toBe(45_000);
    expect(v.caption).toBe('Observing: 45 s left');
    expect(v.fraction).toBeCloseTo(20 / 65);
    expect(v.steps.map((s) => s.state)).toEqual(['done', 'current', 'todo', 'todo']);
  });

  it('end states', () => {
    expect(progressView({ ...P, phase: 'done', elapsedMs: 2517 }, 'completed')).toMatchObject({ fraction: 1, caption: 'Completed in 2.5 s' });
    expect(progressView({ ...P, phase: 'done' }, 'completed').steps.every((s) => s.state === 'done')).toBe(true);
    expect(progressView({ ...P, phase: 'teardown' }, 'running').caption).toContain('Teardown');
    expect(progressView({ ...P, phase: 'done', elapsedMs: 3000 }, 'stopped').caption).toBe('Stopped after 3.0 s');
    expect(progressView(P, 'failed', 'listen: boom').caption).toBe('Failed: listen: boom');
    expect(formatElapsed(65_400)).toBe('1 min 05 s');
  });
});

describe('connection counts', () => {
  // pool-churn as the issue saw it: 620 opened, 380 carried the 2000
  // requests, 240 never used. The panel said "connections opened 620" while
  // the verdict said "380 connections": both numbers, each named, now.
  const c = { ...result().connections, opened: 620, carried: 380, unused: 240, teardown: 2, reusedRequests: 1620, servedRequests: 2000 };

  it('opened, then what became of them, under the names every view uses', () => {
    expect(connectionsView(c, 'done')).toEqual({ opened: '620', detail: '380 carried requests · 240 never used · 2 closed by teardown' });
    expect(CONN_LABELS).toEqual({ opened: 'connections opened', carried: 'carried requests', unused: 'never used', teardown: 'closed by teardown' });
  });

  it('closed by teardown only once the teardown began', () => {
    expect(connectionsView({ ...c, teardown: 0 }, 'workload').detail).toBe('380 carried requests · 240 never used');
    expect(connectionsView(c, 'teardown').detail).toContain('2 closed by teardown');
  });

  it('a finished run adds up: opened = carried requests + never used', () => {
    const counts = Object.fromEntries(connCounts(c).map((x) => [x.id, x.n]));
    expect(counts.opened).toBe(counts.carried + counts.unused);
  });

  it('reuse: the server count over the requests the server served, not httptrace over the client total', () => {
    expect(reuseOf(c)).toEqual({ reused: 1620, served: 2000, ratio: 0.81 });
    // A result saved before servedRequests existed.
    const old: Partial<typeof c> = { ...c };
    delete old.servedRequests;
    expect(reuseOf(old as typeof c)).toEqual({ reused: 1620, served: 2000, ratio: 0.81 });
    expect(reuseOf({ ...c, carried: 0, reusedRequests: 0, servedRequests: 0 }).ratio).toBe(0);
  });
});
