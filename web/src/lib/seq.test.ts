import { describe, expect, it } from 'vitest';
import { RESYNC_MIN_INTERVAL_MS, RESYNC_TIMEOUT_MS, SeqTracker } from './seq';

const APPLY = { counts: true, changes: true, resync: false };
const DROP = { counts: false, changes: false, resync: false };

describe('SeqTracker', () => {
  it('drops ticks until the first snapshot', () => {
    const s = new SeqTracker();
    expect(s.onTick(1, false, 0)).toEqual(DROP);
    expect(s.synced).toBe(false);
  });

  it('drops ticks with seq <= the snapshot seq, applies the next ones in order', () => {
    const s = new SeqTracker();
    s.onSnapshot(10);
    expect(s.onTick(9, false, 0)).toEqual(DROP);
    expect(s.onTick(10, false, 0)).toEqual(DROP);
    expect(s.onTick(11, false, 0)).toEqual(APPLY);
    expect(s.onTick(12, false, 0)).toEqual(APPLY);
    expect(s.onTick(12, false, 0)).toEqual(DROP); // duplicate
    expect(s.seq).toBe(12);
    expect(s.stale).toBe(false);
  });

  it('a gap keeps the counts, skips the changes and asks for one resync', () => {
    const s = new SeqTracker();
    s.onSnapshot(5);
    expect(s.onTick(8, false, 1000)).toEqual({ counts: true, changes: false, resync: true });
    expect(s.stale).toBe(true);
    // In order again, but the table is stale until a snapshot: no changes, no second request.
    expect(s.onTick(9, false, 1100)).toEqual({ counts: true, changes: false, resync: false });
    s.onSnapshot(9);
    expect(s.stale).toBe(false);
    expect(s.onTick(10, false, 1200)).toEqual(APPLY);
  });

  it('a truncated tick asks for a resync', () => {
    const s = new SeqTracker();
    s.onSnapshot(1);
    expect(s.onTick(2, true, 0)).toEqual({ counts: true, changes: false, resync: true });
  });

  it('rate-limits resyncs under constant truncation', () => {
    const s = new SeqTracker();
    s.onSnapshot(0);
    let requests = 0;
    let seq = 0;
    // 10 s of truncated ticks every 250 ms, each answered by a snapshot 50 ms later.
    for (let t = 0; t < 10_000; t += 250) {
      const v = s.onTick(++seq, true, t);
      if (v.resync) {
        requests++;
        s.onSnapshot(seq);
      }
    }
    expect(requests).toBe(Math.ceil(10_000 / RESYNC_MIN_INTERVAL_MS));
  });

  it('retries a resync request left unanswered', () => {
    const s = new SeqTracker();
    s.onSnapshot(0);
    expect(s.onTick(5, false, 0).resync).toBe(true);
    expect(s.onTick(6, false, RESYNC_TIMEOUT_MS - 1).resync).toBe(false);
    expect(s.onTick(7, false, RESYNC_TIMEOUT_MS).resync).toBe(true);
  });

  it('reset waits for a new snapshot', () => {
    const s = new SeqTracker();
    s.onSnapshot(3);
    s.reset();
    expect(s.onTick(4, false, 0)).toEqual(DROP);
    s.onSnapshot(100); // a new connection may restart from any seq
    expect(s.onTick(101, false, 0)).toEqual(APPLY);
  });

  it('a snapshot older than applied ticks is still authoritative', () => {
    const s = new SeqTracker();
    s.onSnapshot(10);
    s.onTick(11, false, 0);
    s.onSnapshot(10);
    expect(s.seq).toBe(10);
    expect(s.onTick(11, false, 0)).toEqual(APPLY);
  });
});
