import { describe, expect, it } from 'vitest';
import type { Snapshot, Tick } from '../wire';
import { DEFAULT_HISTORY_MS, KEEP_ROWS_MAX, keptRows, PortFeed } from './feed';

function snapshot(seq: number, at: number, extra: Partial<Snapshot> = {}): Snapshot {
  return {
    type: 'snapshot',
    port: 8081,
    seq,
    at,
    source: 'netlink',
    counts: { server: { LISTEN: 1, ESTABLISHED: 1 }, client: { ESTABLISHED: 1 } },
    sockets: [
      { local: '127.0.0.1:8081', remote: '0.0.0.0:0', side: 'server', state: 'LISTEN', uid: 0 },
      { local: '127.0.0.1:8081', remote: '127.0.0.1:40000', side: 'server', state: 'ESTABLISHED', uid: 0 },
      { local: '127.0.0.1:40000', remote: '127.0.0.1:8081', side: 'client', state: 'ESTABLISHED', uid: 0 },
    ],
    socketsTotal: 3,
    timeline: {
      port: 8081,
      seq0: seq - 1,
      seq,
      t: [at - 250, at],
      server: { LISTEN: [1, 1], ESTABLISHED: [0, 1] },
      client: { ESTABLISHED: [0, 1] },
    },
    ...extra,
  };
}

function tick(seq: number, at: number, extra: Partial<Tick> = {}): Tick {
  return { type: 'tick', port: 8081, seq, at, counts: { server: {}, client: {} }, changes: [], ...extra };
}

describe('PortFeed', () => {
  it('loads a snapshot: table, both charts, counts', () => {
    const f = new PortFeed(8081, 250);
    expect(f.onSnapshot(snapshot(10, 10_000), 10_050)).toEqual({ changed: true, resync: false });
    expect(f.table.size).toBe(3);
    expect(f.server.length).toBe(2);
    expect(f.client.latest).toEqual({ ESTABLISHED: 1 });
    expect(f.counts.server.ESTABLISHED).toBe(1);
  });

  it('client closes first: the client socket goes to TIME_WAIT, the server one goes away', () => {
    const f = new PortFeed(8081, 250);
    f.onSnapshot(snapshot(10, 10_000), 10_000);
    const u = f.onTick(
      tick(11, 10_250, {
        counts: { server: { LISTEN: 1 }, client: { TIME_WAIT: 1 } },
        changes: [
          { kind: 'gone', socket: { local: '127.0.0.1:8081', remote: '127.0.0.1:40000', side: 'server', state: 'ESTABLISHED', uid: 0 }, from: 'ESTABLISHED' },
          {
            kind: 'changed',
            socket: { local: '127.0.0.1:40000', remote: '127.0.0.1:8081', side: 'client', state: 'TIME_WAIT', timer: 'timewait', timerMs: 59_900, uid: 0, process: 'kernel' },
            from: 'ESTABLISHED',
          },
        ],
      }),
      10_260,
    );
    expect(u).toEqual({ changed: true, resync: false });
    expect(f.table.countSide('server')).toBe(1);
    const tw = f.table.list(10).rows.find((r) => r.state === 'TIME_WAIT')!;
    expect(tw.side).toBe('client');
    expect(tw.expiresAt).toBe(10_250 + 59_900);
    expect(f.client.latest).toEqual({ TIME_WAIT: 1 });
    expect(f.server.length).toBe(3);
    // Countdown runs on the server's clock: local is 10 ms ahead here.
    expect(f.clock.now(20_260)).toBe(20_250);
  });

  it('drops stale ticks and asks to resync on a gap, keeping the chart going', () => {
    const f = new PortFeed(8081, 250);
    f.onSnapshot(snapshot(10, 10_000), 10_000);
    expect(f.onTick(tick(10, 10_000), 10_000)).toEqual({ changed: false, resync: false });
    const u = f.onTick(tick(13, 10_750, { counts: { server: { LISTEN: 1 }, client: {} }, changes: [{ kind: 'gone', socket: snapshot(0, 0).sockets[2] }] }), 10_750);
    expect(u).toEqual({ changed: true, resync: true });
    expect(f.stale).toBe(true);
    expect(f.table.size).toBe(3); // changes of a gapped tick are not applied
    expect(f.server.length).toBe(3);
    f.onSnapshot(snapshot(13, 10_750), 10_760);
    expect(f.stale).toBe(false);
  });

  it('ticks before any snapshot are ignored; reset waits for the next snapshot', () => {
    const f = new PortFeed(8081, 250);
    expect(f.onTick(tick(1, 1000), 1000).changed).toBe(false);
    f.onSnapshot(snapshot(5, 5000), 5000);
    f.reset();
    expect(f.onTick(tick(6, 5250), 5250).changed).toBe(false);
  });

  it('keeps the server’s whole history, sized from the poll interval, within bounds', () => {
    expect(new PortFeed(1, 250, 180_000).server.capacity).toBe(721);
    expect(new PortFeed(1, 1000, 180_000).server.capacity).toBe(181);
    expect(new PortFeed(1, 250, 10_000).server.capacity).toBe(721); // at least the 3-minute window
    expect(new PortFeed(1, 250).server.capacity).toBe(DEFAULT_HISTORY_MS / 250 + 1); // not known yet: the default
    expect(new PortFeed(1, 250, 24 * 3600_000).server.capacity).toBe(KEEP_ROWS_MAX);
    expect(keptRows(15 * 60_000, 250)).toBe(3601);
  });

  it('learns the server’s history later and keeps every row of its snapshot', () => {
    const f = new PortFeed(8081, 1000, 180_000);
    f.keep(600_000);
    expect(f.server.capacity).toBe(601);
    expect(f.keptSec).toBe(600);
    const t = Array.from({ length: 500 }, (_, i) => 1_000_000 + i * 1000);
    f.onSnapshot({ ...snapshot(500, t[499]), timeline: { port: 8081, seq0: 1, seq: 500, t, server: { LISTEN: t.map(() => 1) }, client: {} } }, 0);
    expect(f.server.length).toBe(500);
  });
});
