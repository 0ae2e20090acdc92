import { describe, expect, it } from 'vitest';
import type { Flow } from '../wire';
import { ClosesSeries } from './closes';
import { normFlow } from './messages';

function flow(server: number, client: number, both = 0, since = '2026-11-21T12:58:00Z'): Flow {
  const f = normFlow({ source: 'ebpf', since, total: { closedFirst: { server, client, simultaneous: both } } });
  if (!f) throw new Error('bad fixture');
  return f;
}

/** The newest point of a side: [closed first, both at once] (unstacked). */
function last(c: ClosesSeries, side: 'server' | 'client'): [number, number] {
  const [x, first, top] = (side === 'server' ? c.server : c.client).data();
  const i = x.length - 1;
  return [first[i], top[i] - first[i]];
}

describe('ClosesSeries', () => {
  it('closes per second over the trailing second, per side, both-at-once on both', () => {
    const c = new ClosesSeries(100);
    expect(c.push(10_000, flow(100, 5))).toBe(true);
    expect(last(c, 'server')).toEqual([0, 0]);
    // A poll later (250 ms): 3 more server-first closes; counted over a full second, not extrapolated.
    c.push(10_250, flow(103, 5));
    expect(last(c, 'server')).toEqual([3, 0]);
    expect(last(c, 'client')).toEqual([0, 0]);
    c.push(10_500, flow(104, 6, 1));
    c.push(10_750, flow(104, 6, 1));
    c.push(11_000, flow(104, 6, 1));
    // The base is the poll at 10 000: 4 by the server, 1 by the client, 1 by both, in 1 s.
    expect(last(c, 'server')).toEqual([4, 1]);
    expect(last(c, 'client')).toEqual([1, 1]);
    // A second later only what closed after 10 000 + 250 counts: nothing new since 10 500.
    c.push(11_500, flow(104, 6, 1));
    expect(last(c, 'server')).toEqual([0, 0]);
    expect(c.length).toBe(6);
  });

  it('a late poll spreads its closes over the span it covers', () => {
    const c = new ClosesSeries(100);
    c.push(0, flow(0, 0));
    c.push(2000, flow(10, 0)); // a 2 s gap (tab in the background, server busy)
    expect(last(c, 'server')).toEqual([5, 0]);
  });

  it('starts afresh when watching began again or the totals went down; ignores old polls', () => {
    const c = new ClosesSeries(100);
    c.push(1000, flow(50, 0));
    c.push(2000, flow(60, 0));
    const v = c.version;
    expect(c.push(1500, flow(70, 0))).toBe(false);
    expect(c.length).toBe(2);
    expect(c.version).toBe(v); // nothing to redraw
    c.push(3000, flow(0, 0, 0, '2026-11-21T13:00:00Z'));
    expect(c.length).toBe(1);
    expect(last(c, 'server')).toEqual([0, 0]);
    c.push(4000, flow(2, 0, 0, '2026-11-21T13:00:00Z'));
    c.push(5000, flow(1, 0, 0, '2026-11-21T13:00:00Z'));
    expect(c.length).toBe(1);
  });

  it('one max for both sides: the busier side sets the scale', () => {
    const c = new ClosesSeries(100);
    c.push(0, flow(0, 0));
    c.push(1000, flow(40, 2, 3));
    c.push(2000, flow(41, 2, 3));
    expect(c.server.maxTotal()).toBe(43);
    expect(c.client.maxTotal()).toBe(5);
    expect(c.sharedMax()).toBe(43);
  });

  it('keeps the window bounded', () => {
    const c = new ClosesSeries(10);
    for (let i = 0; i < 1000; i++) c.push(i * 250, flow(i, 0));
    expect(c.length).toBe(10);
    expect(last(c, 'server')).toEqual([4, 0]);
  });
});
