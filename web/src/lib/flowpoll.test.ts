import { describe, expect, it } from 'vitest';
import type { FlowConns, PortVerdict } from '../wire';
import { FlowPoller, POLL_EVERY_MS, type FlowPollDeps } from './flowpoll';

/** Fake fetches answered by hand, and a fake timer queue. */
function fakes() {
  const pending: { kind: 'verdict' | 'connections'; resolve: (v: unknown) => void; reject: (e: Error) => void }[] = [];
  const timers = new Map<number, { fn: () => void; ms: number }>();
  let next = 1;
  const deps: FlowPollDeps = {
    verdict: (port) => new Promise((resolve, reject) => pending.push({ kind: 'verdict', resolve: (v) => resolve({ port, findings: [], ...(v as object) } as PortVerdict), reject })),
    connections: (port) => new Promise((resolve, reject) => pending.push({ kind: 'connections', resolve: () => resolve({ port, source: 'polls', connections: [] } as FlowConns), reject })),
    setTimeout: (fn, ms) => {
      timers.set(next, { fn, ms });
      return next++;
    },
    clearTimeout: (id) => void timers.delete(id as number),
  };
  const seen: string[] = [];
  const handlers = {
    verdict: () => void seen.push('verdict'),
    connections: () => void seen.push('connections'),
    error: (what: string, msg: string) => void seen.push(`${what} error: ${msg}`),
  };
  const settle = async () => {
    for (const p of pending.splice(0)) p.resolve({});
    await new Promise((r) => setTimeout(r, 0));
  };
  const fire = () => {
    const all = [...timers.values()];
    timers.clear();
    for (const t of all) t.fn();
  };
  return { deps, handlers, pending, timers, seen, settle, fire };
}

describe('FlowPoller', () => {
  it('fetches the list once and the verdict every round, one round at a time', async () => {
    const f = fakes();
    const p = new FlowPoller(8081, f.deps, f.handlers);
    p.start();
    p.start(); // no second loop
    expect(f.pending.map((x) => x.kind)).toEqual(['verdict', 'connections']);
    await f.settle();
    expect(f.seen).toEqual(['verdict', 'connections']);
    expect([...f.timers.values()].map((t) => t.ms)).toEqual([POLL_EVERY_MS]);
    f.fire();
    expect(f.pending.map((x) => x.kind)).toEqual(['verdict']); // eBPF: the lanes follow the events
    await f.settle();
    // Polls: the list every round too.
    p.polls = true;
    f.fire();
    expect(f.pending.map((x) => x.kind)).toEqual(['verdict', 'connections']);
    await f.settle();
    expect(p.rounds).toBe(3);
    p.stop();
    expect(f.timers.size).toBe(0);
  });

  it('refresh() fetches now, or right after the round in flight', async () => {
    const f = fakes();
    const p = new FlowPoller(8081, f.deps, f.handlers);
    p.start();
    p.refresh(); // in flight: queued
    expect(f.pending.length).toBe(2);
    await f.settle();
    expect(f.pending.map((x) => x.kind)).toEqual(['verdict']); // the queued round, not a timer
    expect(f.timers.size).toBe(0);
    await f.settle();
    expect(f.timers.size).toBe(1);
    p.refresh(); // idle: now, the timer replaced
    expect(f.timers.size).toBe(0);
    expect(f.pending.map((x) => x.kind)).toEqual(['verdict']);
    await f.settle();
    expect(f.timers.size).toBe(1);
    p.stop();
  });

  it('reports failures and keeps going; nothing is delivered after stop()', async () => {
    const f = fakes();
    const p = new FlowPoller(8081, f.deps, f.handlers);
    p.start();
    f.pending.shift()?.reject(new Error('connlab is not reachable'));
    await f.settle();
    expect(f.seen).toEqual(['verdict error: connlab is not reachable', 'connections']);
    expect(f.timers.size).toBe(1);
    f.fire();
    p.stop();
    await f.settle();
    expect(f.seen.length).toBe(2);
    expect(f.timers.size).toBe(0);
    p.refresh(); // stopped: nothing
    expect(f.pending.length).toBe(0);
  });
});
