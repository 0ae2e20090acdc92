import { describe, expect, it } from 'vitest';
import { lane } from './fixtures';
import { axisTicks, DEFAULT_LANE_OPTS, layoutLanes, makeScale, secondsLeft, SPLIT, tickLabel, xOf } from './lanes';

const O = { ...DEFAULT_LANE_OPTS, width: 1400 };
const XA = O.labelW;
const XC = O.width - O.endW;

/** client-disable-keepalive: 10 connections 50 ms apart, each closed by the server, TIME_WAIT on the server. */
function disableKeepalive(n = 10) {
  return Array.from({ length: n }, (_, i) =>
    lane(i + 1, {
      openedMs: i * 50 + 1,
      firstReqMs: i * 50 + 1.2,
      lastReqMs: i * 50 + 1.2,
      closedBy: 'server',
      closedMs: i * 50 + 1.5,
      endedMs: i * 50 + 1.6,
      end: 'fin',
      timeWait: 'server',
      timeWaitMs: i * 50 + 10,
      timeWaitLeftMs: 59_990,
    }),
  );
}

describe('swimlane layout', () => {
  it('splits the axis when TIME_WAIT outlasts the activity', () => {
    const lanes = disableKeepalive();
    const s = makeScale(lanes, 2500, XA, XC);
    expect(s.split).toBe(true);
    expect(s.xb).toBeCloseTo(XA + (XC - XA) * SPLIT);
    expect(s.t0).toBe(0);
    expect(s.tb).toBeGreaterThan(451);
    expect(s.tb).toBeLessThan(500);
    expect(s.t1).toBeCloseTo(450 + 10 + 59_990);
    // monotonic and clamped
    let last = -Infinity;
    for (let t = -100; t < 70_000; t += 37) {
      const x = xOf(s, t);
      expect(x).toBeGreaterThanOrEqual(last);
      expect(x).toBeGreaterThanOrEqual(XA);
      expect(x).toBeLessThanOrEqual(XC);
      last = x;
    }
    expect(xOf(s, s.tb)).toBeCloseTo(s.xb);
  });

  it('keeps one linear axis when nothing outlasts the activity', () => {
    // keepalive-default: one connection, still open, requests over 1 s.
    const l = lane(1, { openedMs: 1, requests: 20, firstReqMs: 1, lastReqMs: 951 });
    const s = makeScale([l], 1000, XA, XC);
    expect(s.split).toBe(false);
    expect(s.tb).toBe(s.t1);
    expect(xOf(s, 1000)).toBeLessThan(XC);
    expect(xOf(s, 500)).toBeCloseTo((xOf(s, 0) + xOf(s, 1000)) / 2, 0);
  });

  it('lays out one lane per connection, newest at the bottom, capped', () => {
    const lanes = disableKeepalive(40);
    const L = layoutLanes(lanes, new Map(), 2500, O);
    expect(L.lanes.length).toBe(O.maxLanes);
    expect(L.hidden).toBe(10);
    expect(L.lanes[0].id).toBe(11);
    expect(L.lanes.at(-1)?.id).toBe(40);
    expect(L.lanes[1].y - L.lanes[0].y).toBe(O.rowH);
    expect(L.height).toBe(O.axisH + O.maxLanes * O.rowH + 4);
  });

  it('server closes first: its track ends first, TIME_WAIT on the server track, counting down', () => {
    const now = 2500;
    const L = layoutLanes(disableKeepalive(), new Map([[1, [1.2]]]), now, O);
    const g = L.lanes[0];
    expect(g.end).toBe('server');
    expect(g.server.x1 - g.server.x0).toBeGreaterThanOrEqual(O.minBarPx); // sub-ms life still visible
    expect(g.endX).not.toBeNull();
    expect(g.tw?.side).toBe('server');
    expect(g.tw!.leftMs).toBeCloseTo(10 + 59_990 - now);
    expect(g.tw!.x0).toBeLessThan(g.tw!.xNow);
    expect(g.tw!.xNow).toBeLessThan(g.tw!.x1);
    expect(L.lanes.at(-1)!.tw!.x1).toBeCloseTo(XC); // the last TIME_WAIT to end sets the axis end
    expect(g.tw!.x1).toBeLessThan(XC);
    expect(g.endText).toBe('server closed first · TW 58 s');
    expect(g.marks.length).toBe(1);
    expect(g.marks[0]).toBeGreaterThanOrEqual(XA);
    expect(L.nowX).toBeCloseTo(g.tw!.xNow);
  });

  it('client close, RST, simultaneous and open lanes', () => {
    const now = 1000;
    const lanes = [
      lane(1, { closedBy: 'client', closedMs: 100, endedMs: 101, end: 'fin', timeWait: 'client', timeWaitMs: 200, timeWaitLeftMs: 500, idleClosed: false }),
      lane(2, { closedBy: 'client', closedMs: 150, endedMs: 150, end: 'rst', resetBy: 'client' }),
      lane(3, { closedBy: 'simultaneous', closedMs: 200, endedMs: 200, end: 'fin', timeWait: 'both', timeWaitMs: 210, timeWaitLeftMs: 100 }),
      lane(4, { openedMs: 300, serverState: 'idle', requests: 2, firstReqMs: 300, lastReqMs: 400 }),
    ];
    const L = layoutLanes(lanes, new Map(), now, O);
    const [c, r, b, open] = L.lanes;
    expect(c.end).toBe('client');
    expect(c.client.x1).toBeLessThanOrEqual(c.server.x1);
    expect(c.endText).toBe('client closed first · TW over');
    expect(c.tw?.leftMs).toBe(0); // 200 + 500 < now
    expect(r.end).toBe('rst');
    expect(r.endText).toBe('RST by client');
    expect(r.tw).toBeNull();
    expect(b.end).toBe('simultaneous');
    expect(b.tw?.side).toBe('both');
    expect(open.end).toBe('open');
    expect(open.endX).toBeNull();
    expect(open.endText).toBe('open, idle');
    expect(open.server.x1).toBeCloseTo(xOf(L.scale, now));
    expect(open.marks.length).toBe(2); // first and last request when the log has none
  });

  it('no lanes: an empty layout', () => {
    const L = layoutLanes([], new Map(), 0, O);
    expect(L.lanes).toEqual([]);
    expect(L.hidden).toBe(0);
    expect(Number.isFinite(L.nowX)).toBe(true);
  });

  it('ticks: spaced, labelled, inside the plot', () => {
    const s = makeScale(disableKeepalive(), 2500, XA, XC);
    const ticks = axisTicks(s);
    expect(ticks.length).toBeGreaterThan(3);
    for (let i = 1; i < ticks.length; i++) expect(ticks[i].x - ticks[i - 1].x).toBeGreaterThan(40);
    for (const t of ticks) {
      expect(t.x).toBeGreaterThanOrEqual(XA);
      expect(t.x).toBeLessThanOrEqual(XC + 0.01);
    }
    expect(ticks.some((t) => t.label.endsWith(' ms'))).toBe(true); // activity part
    expect(ticks.some((t) => t.label.endsWith(' s') || t.label.endsWith(' min'))).toBe(true); // TIME_WAIT part
    expect(tickLabel(250, 50)).toBe('250 ms');
    expect(tickLabel(1500, 500)).toBe('1.5 s');
    expect(tickLabel(60_000, 10_000)).toBe('60 s');
    expect(tickLabel(120_000, 60_000)).toBe('2 min');
    expect(secondsLeft(43_200)).toBe('44 s');
    expect(secondsLeft(1234)).toBe('1.2 s');
  });
});
