import { describe, expect, it } from 'vitest';
import type { Flow, System } from '../wire';
import { bound, clockOf, flowTiles, formatMs, formatRate, formatSpan, sourceInfo, windowLabel, type FlowTile } from './flowtext';
import { normFlow } from './messages';
import { CLOSE_COLORS, STATE_COLORS } from './states';

const SINCE = '2026-11-21T12:58:00Z';

function flow(extra: Record<string, unknown> = {}): Flow {
  const f = normFlow({
    source: 'ebpf',
    since: SINCE,
    total: { opened: 1200, closedFirst: { server: 1170, client: 28, simultaneous: 2 }, reset: 5 },
    last60s: { opened: 60, closedFirst: { server: 57, client: 2, simultaneous: 1 }, reset: 1, perSec: 0.97, windowSec: 60 },
    lifetimeMs: { p50: 1.234, p99: 48.8, n: 60 },
    forecast: { timeWaitSteady: { server: 57.2, client: 2 }, ephemeralExhaustSec: null },
    ...extra,
  });
  if (!f) throw new Error('bad fixture');
  return f;
}

function byId(tiles: FlowTile[]): Record<string, FlowTile> {
  return Object.fromEntries(tiles.map((t) => [t.id, t]));
}

describe('formatting', () => {
  it('marks lower bounds', () => {
    expect(bound(12, false)).toBe('12');
    expect(bound(1234, true)).toBe('≥ 1,234');
    expect(bound(0.5, true, formatRate)).toBe('≥ 0.5');
  });

  it('rates, durations and spans at a readable precision', () => {
    expect([0, 0.01, 0.97, 9.94, 58.4, 1204].map(formatRate)).toEqual(['0.0', '< 0.1', '1.0', '9.9', '58', '1,204']);
    expect([0.42, 5.12, 51.2, 1500, 42_000, 252_000, 7_200_000].map(formatMs)).toEqual(['0.42 ms', '5.1 ms', '51 ms', '1.5 s', '42 s', '4.2 min', '2.0 h']);
    expect([45, 420, 8280, 3 * 86_400].map(formatSpan)).toEqual(['45 s', '7 min', '2.3 h', '3.0 days']);
    expect(windowLabel(60)).toBe('last 60 s');
    expect(windowLabel(12.4)).toBe('last 12 s');
    expect(windowLabel(0)).toBe('last 60 s');
  });

  it('local clock of an RFC3339 time', () => {
    const d = new Date(Date.parse(SINCE));
    const p = (n: number) => String(n).padStart(2, '0');
    expect(clockOf(SINCE)).toBe(`${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`);
    expect(clockOf('')).toBe('');
  });
});

describe('flowTiles', () => {
  it('eBPF: exact counts, shares of closes, lifetimes, the forecast', () => {
    const t = byId(flowTiles(flow()));
    expect(Object.keys(t)).toEqual(['closed-server', 'closed-client', 'closed-both', 'reset', 'opened', 'lifetime', 'tw-server', 'tw-client']);
    expect(t['closed-server']).toMatchObject({ value: '57', n: 57, total: 1170, lowerBound: false, colour: CLOSE_COLORS.first });
    expect(t['closed-server'].detail).toBe(`95 % of closes · 1,170 since ${clockOf(SINCE)}`);
    expect(t['closed-client']).toMatchObject({ value: '2', n: 2, total: 28 });
    expect(t['closed-both']).toMatchObject({ value: '1', n: 1, total: 2, colour: CLOSE_COLORS.simultaneous });
    expect(t.reset).toMatchObject({ value: '1', n: 1, total: 5, colour: 'var(--error)' });
    expect(t.opened).toMatchObject({ value: '1.0/s', n: 0.97, total: 1200, colour: STATE_COLORS.ESTABLISHED });
    expect(t.opened.detail).toBe(`60 in the last 60 s · 1,200 since ${clockOf(SINCE)}`);
    expect(t.lifetime).toMatchObject({ value: '1.2 ms', n: 1.234 });
    expect(t.lifetime.detail).toBe('p99 49 ms · 60 connections ended in the last 60 s');
    expect(t['tw-server']).toMatchObject({ value: '≈ 57', n: 57.2, colour: STATE_COLORS.TIME_WAIT });
    expect(t['tw-server'].alarm).toBeFalsy();
    expect(t['tw-server'].detail).toBe('forecast, held at this rate: 1.0 closes/s × 60 s');
    expect(t['tw-client'].alarm).toBe(false);
  });

  it('polls: every count is a lower bound; resets and lifetimes say they are not seen, never 0', () => {
    const f = flow({
      source: 'polls',
      lowerBound: true,
      missing: 'connections shorter than a poll',
      lifetimeMs: { p50: null, p99: null, n: 0 },
      last60s: { closedFirst: { server: 12 }, opened: 3, perSec: 0.05, windowSec: 20 },
    });
    const tiles = flowTiles(f);
    const t = byId(tiles);
    expect(t['closed-server']).toMatchObject({ value: '≥ 12', n: 12, lowerBound: true });
    expect(t['closed-server'].detail).toBe(`≥ 1,170 since ${clockOf(SINCE)}`); // no share: a ratio of lower bounds is no bound
    expect(t['closed-client'].value).toBe('≥ 0');
    expect(t.reset).toMatchObject({ value: 'not seen', n: null });
    expect(t.lifetime).toMatchObject({ value: 'not measured', n: null });
    expect(t.opened.value).toBe('≥ 0.1/s');
    expect(t.opened.detail).toBe(`≥ 3 in the last 20 s · ≥ 1,200 since ${clockOf(SINCE)}`);
    expect(t['tw-server'].value).toBe('≥ 57');
    // Nothing from polls reads as exact: every numeric figure carries "≥".
    for (const tile of tiles) if (tile.n !== null) expect(tile.value, tile.id).toMatch(/^≥ /);
  });

  it('no connection ended yet: no lifetime; the client-side exhaustion time when there is one', () => {
    const t = byId(flowTiles(flow({ lifetimeMs: { p50: null, p99: null, n: 0 }, forecast: { timeWaitSteady: { server: 0, client: 1500 }, ephemeralExhaustSec: 420 } })));
    expect(t.lifetime).toMatchObject({ value: '—', n: null, detail: 'no connection ended in the last 60 s' });
    expect(t['tw-client']).toMatchObject({ value: '≈ 1,500', alarm: true, detail: 'ephemeral ports toward one destination run out in 7 min at this rate' });
  });
});

describe('sourceInfo', () => {
  const sys = { transitions: 'polls', transitionsNote: 'needs root, or CAP_BPF and CAP_PERFMON' } as System;

  it('eBPF: exact, with losses when any', () => {
    expect(sourceInfo(flow(), null, 250)).toEqual({ source: 'ebpf', headline: 'kernel transitions (eBPF): exact', notes: [] });
    expect(sourceInfo(flow({ lostEvents: 7 }), null, 250).notes[0]).toMatch(/^7 kernel events lost/);
  });

  it('polls: lower bounds, what they miss, why eBPF is off, how to get exact counts', () => {
    const s = sourceInfo(flow({ source: 'polls', missing: 'connections shorter than a poll, closes by RST and lifetimes' }), sys, 250);
    expect(s.source).toBe('polls');
    expect(s.headline).toBe('polls every 250 ms: lower bounds');
    expect(s.notes).toEqual([
      'Not seen from polls: connections shorter than a poll, closes by RST and lifetimes.',
      'eBPF is off: needs root, or CAP_BPF and CAP_PERFMON',
      expect.stringMatching(/setcap cap_bpf,cap_perfmon\+ep/),
    ]);
  });

  it('before the first flow: the system says', () => {
    expect(sourceInfo(undefined, { ...sys, transitions: 'ebpf' }, 250).source).toBe('ebpf');
    expect(sourceInfo(undefined, sys, 100).headline).toBe('polls every 100 ms: lower bounds');
  });
});
