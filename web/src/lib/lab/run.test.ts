import { describe, expect, it } from 'vitest';
import { RESYNC_MIN_INTERVAL_MS } from '../seq';
import { lane, line, result, timeline, update } from './fixtures';
import { ExpRun, LANE_KEEP, LOG_KEEP } from './run';

const snap = (seq: number, over = {}) => ({ type: 'exp-snapshot' as const, id: 'e1', seq, result: result(over) });

describe('ExpRun', () => {
  it('drops updates before the snapshot and those it already covers', () => {
    const r = new ExpRun('e1');
    expect(r.onUpdate(update(1), 0)).toEqual({ changed: false, resync: false });
    expect(r.facts).toBeNull();
    r.onSnapshot(snap(3, { lanes: [lane(1)], lanesTotal: 1 }), 0);
    expect(r.onUpdate(update(2, { lanes: [lane(9)] }), 0).changed).toBe(false);
    expect(r.onUpdate(update(3, { lanes: [lane(9)] }), 0).changed).toBe(false);
    expect(r.lanes.has(9)).toBe(false);
    expect(r.onUpdate(update(4, { lanes: [lane(2)] }), 0)).toEqual({ changed: true, resync: false });
    expect([...r.lanes.keys()]).toEqual([1, 2]);
    expect(r.onUpdate(update(4, { lanes: [lane(3)] }), 0).changed).toBe(false); // duplicate
  });

  it('ignores other experiments', () => {
    const r = new ExpRun('e1');
    expect(r.onSnapshot({ ...snap(0), id: 'e2' }, 0).changed).toBe(false);
    r.onSnapshot(snap(0), 0);
    expect(r.onUpdate({ ...update(1), id: 'e2' }, 0).changed).toBe(false);
  });

  it('replaces counters, upserts lanes, appends log lines and kernel rows', () => {
    const r = new ExpRun('e1');
    r.onSnapshot(snap(0, { timeline: timeline([[1_000_100, 1, 0]]) }), 0);
    const u1 = update(1, {
      connections: { ...result().connections, opened: 2 },
      lanes: [lane(1), lane(2)],
      log: [line(1), line(2)],
      timeline: timeline([[1_000_350, 2, 0]], 2),
      findings: [{ id: 'reuse', level: 'bad', text: 'Not reused', evidence: ['e'] }],
    });
    r.onUpdate(u1, 0);
    const u2 = update(2, {
      connections: { ...result().connections, opened: 3 },
      lanes: [lane(2, { closedBy: 'server', closedMs: 120, endedMs: 121, end: 'fin' }), lane(3)],
      log: [line(3)],
      timeline: timeline([[1_000_600, 3, 0]], 3),
    });
    r.onUpdate(u2, 0);
    expect(r.facts?.connections.opened).toBe(3);
    expect(r.facts?.findings).toEqual([]); // absolute: the last update's list
    expect(r.laneList().map((l) => l.id)).toEqual([1, 2, 3]);
    expect(r.lanes.get(2)?.closedBy).toBe('server');
    expect(r.lanes.get(2)?.clientPort).toBe(40002); // upsert keeps the fields
    expect(r.log.map((l) => l.seq)).toEqual([1, 2, 3]);
    expect(r.logTotal).toBe(3);
    expect(r.marks.get(2)).toEqual([100]);
    expect(r.server.length).toBe(3);
    expect(r.server.latest).toEqual({ TIME_WAIT: 3, LISTEN: 1 });
    expect(r.lanesTotal).toBe(3);
  });

  it("takes the server's answer from the snapshot and replaces it with each update's", () => {
    const r = new ExpRun('e1');
    r.onSnapshot(snap(0, { answer: 'so far: 3 of 3 closed by the server' }), 0);
    expect(r.facts?.answer).toBe('so far: 3 of 3 closed by the server');
    r.onUpdate(update(1, { answer: 'The server closed 27 of 30 first' }), 0);
    expect(r.facts?.answer).toBe('The server closed 27 of 30 first');
    r.onUpdate(update(2), 0); // absolute: an update without one clears it
    expect(r.facts?.answer).toBeUndefined();
  });

  it('applies a gap and asks for a snapshot (rate-limited), which then replaces everything', () => {
    const r = new ExpRun('e1');
    r.onSnapshot(snap(0), 0);
    r.onUpdate(update(1, { log: [line(1)] }), 0);
    expect(r.onUpdate(update(3, { log: [line(3)], progress: { ...result().progress, requestsDone: 3 } }), 10)).toEqual({ changed: true, resync: true });
    expect(r.facts?.progress.requestsDone).toBe(3);
    expect(r.stale).toBe(true);
    expect(r.onUpdate(update(5), 20)).toEqual({ changed: true, resync: false }); // still stale, rate-limited
    expect(r.onUpdate(update(7), 20 + RESYNC_MIN_INTERVAL_MS).resync).toBe(false); // request pending
    r.onSnapshot(snap(7, { log: [line(1), line(2), line(3)], logTotal: 3 }), 30);
    expect(r.stale).toBe(false);
    expect(r.log.map((l) => l.seq)).toEqual([1, 2, 3]);
    expect(r.onUpdate(update(8), 40)).toEqual({ changed: true, resync: false });
  });

  it('is done on the final update, or when the snapshot is of a finished run', () => {
    const r = new ExpRun('e1');
    r.onSnapshot(snap(0), 0);
    expect(r.done).toBe(false);
    r.onUpdate(update(1, { status: 'completed', done: true }), 0);
    expect(r.done).toBe(true);
    const s = new ExpRun('e1');
    s.onSnapshot(snap(9, { status: 'stopped' }), 0);
    expect(s.done).toBe(true);
  });

  it('counts log lines the server skipped and keeps a bounded tail', () => {
    const r = new ExpRun('e1');
    r.onSnapshot(snap(0, { log: [line(1)], logTotal: 5 }), 0);
    expect(r.logSkipped).toBe(4);
    const many = Array.from({ length: LOG_KEEP + 50 }, (_, i) => line(i + 2, { conn: 1 }));
    r.onUpdate(update(1, { log: many, logSkipped: 7 }), 0);
    expect(r.log.length).toBe(LOG_KEEP);
    expect(r.log[r.log.length - 1].seq).toBe(LOG_KEEP + 51);
    expect(r.logTotal).toBe(5 + LOG_KEEP + 50 + 7);
    expect(r.logSkipped).toBe(11);
    expect(r.marks.get(1)!.length).toBeLessThanOrEqual(64);
  });

  it('keeps the most recent lanes only', () => {
    const r = new ExpRun('e1');
    r.onSnapshot(snap(0), 0);
    r.onUpdate(update(1, { lanes: Array.from({ length: LANE_KEEP + 10 }, (_, i) => lane(i + 1)) }), 0);
    expect(r.lanes.size).toBe(LANE_KEEP);
    expect(r.lanes.has(10)).toBe(false);
    expect(r.lanes.has(11)).toBe(true);
    expect(r.lanesTotal).toBe(LANE_KEEP + 10);
  });

  it('tells the experiment time from the server clock', () => {
    const r = new ExpRun('e1');
    // Server says 4 ms elapsed at local time 5000; the server clock runs 1_000_004 at that moment.
    r.onSnapshot(snap(0), 5000);
    expect(r.nowMs(5000)).toBe(4);
    expect(r.nowMs(6000)).toBe(1004);
    r.onUpdate(update(1), 7000); // at = start + 250
    expect(r.nowMs(7100)).toBe(350);
  });

  it('shows a whole result; a frozen one (a replay) takes nothing more and stands at its last moment', () => {
    const res = result({ status: 'running', lanes: [lane(1)], lanesTotal: 1, timeline: timeline([[1_000_100, 1, 0]]) });
    const live = ExpRun.fromResult(res, false, 0);
    expect(live.done).toBe(false);
    expect(live.laneList().map((l) => l.id)).toEqual([1]);
    expect(live.onUpdate(update(1, { lanes: [lane(2)] }), 0).changed).toBe(true);

    const r = ExpRun.fromResult(res, true, 0);
    expect(r.done).toBe(true); // a file's "running" run is not running here
    expect(r.server.length).toBe(1);
    expect(r.onUpdate(update(1, { lanes: [lane(2)] }), 0).changed).toBe(false);
    expect(r.onSnapshot({ type: 'exp-snapshot', id: res.id, seq: 9, result: result() }, 0).changed).toBe(false);
    expect(r.lanes.has(2)).toBe(false);
    expect(r.nowMs(Date.now() + 3_600_000)).toBe(res.progress.elapsedMs);
  });
});
