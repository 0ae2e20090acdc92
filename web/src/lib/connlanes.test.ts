import { describe, expect, it } from 'vitest';
import type { Change, FlowConn, Side, TransitionEvent } from '../wire';
import { ConnLanes, layoutConns, TIME_WAIT_MS, toLane, unmapAddr } from './connlanes';
import { DEFAULT_LANE_OPTS } from './lab/lanes';

const S = '127.0.0.1:39647';

/** One event as the server sends it (side's own local/remote). */
function ev(at: number, side: Side, clientPort: number, from: string, to: string, reset?: 'sent' | 'received'): TransitionEvent {
  const c = `127.0.0.1:${clientPort}`;
  const e: TransitionEvent = side === 'server' ? { at, side, local: S, remote: c, from, to } : { at, side, local: c, remote: S, from, to };
  if (reset) e.reset = reset;
  return e;
}

// Recorded on this machine (kernel 6.18, eBPF source): a Node server and client on loopback.
function opened(at: number, port: number): TransitionEvent[] {
  return [
    { at, side: 'client', local: '127.0.0.1:0', remote: S, from: 'CLOSE', to: 'SYN_SENT' },
    ev(at + 0.07, 'client', port, 'SYN_SENT', 'ESTABLISHED'),
    ev(at + 0.1, 'server', port, 'LISTEN', 'SYN_RECV'),
    ev(at + 0.11, 'server', port, 'SYN_RECV', 'ESTABLISHED'),
  ];
}
function serverFirst(at: number, port: number): TransitionEvent[] {
  return [
    ev(at, 'server', port, 'ESTABLISHED', 'FIN_WAIT1'),
    ev(at + 0.04, 'client', port, 'ESTABLISHED', 'CLOSE_WAIT'),
    ev(at + 1.15, 'server', port, 'FIN_WAIT1', 'FIN_WAIT2'),
    ev(at + 1.29, 'client', port, 'CLOSE_WAIT', 'LAST_ACK'),
    ev(at + 1.31, 'server', port, 'FIN_WAIT2', 'CLOSE'),
    ev(at + 1.34, 'client', port, 'LAST_ACK', 'CLOSE'),
  ];
}
function clientFirst(at: number, port: number): TransitionEvent[] {
  return [
    ev(at, 'client', port, 'ESTABLISHED', 'FIN_WAIT1'),
    ev(at + 0.09, 'server', port, 'ESTABLISHED', 'CLOSE_WAIT'),
    ev(at + 0.46, 'client', port, 'FIN_WAIT1', 'FIN_WAIT2'),
    ev(at + 1.05, 'server', port, 'CLOSE_WAIT', 'LAST_ACK'),
    ev(at + 1.07, 'client', port, 'FIN_WAIT2', 'CLOSE'),
    ev(at + 1.09, 'server', port, 'LAST_ACK', 'CLOSE'),
  ];
}
function clientReset(at: number, port: number): TransitionEvent[] {
  return [ev(at, 'client', port, 'ESTABLISHED', 'CLOSE'), ev(at + 0.06, 'server', port, '', '', 'received'), ev(at + 0.07, 'server', port, 'ESTABLISHED', 'CLOSE'), ev(at + 0.09, 'client', port, '', '', 'sent')];
}

describe('ConnLanes from kernel transitions', () => {
  it('follows each connection: opened, who closed first, RST, TIME_WAIT on the closer', () => {
    const c = new ConnLanes();
    c.onEvents([...opened(1000, 58886), ...serverFirst(1066, 58886)]);
    const v = c.version;
    c.onEvents([]);
    expect(c.version).toBe(v); // nothing to redraw
    c.onEvents([...opened(1100, 58894), ...clientFirst(1154, 58894)]);
    expect(c.version).toBeGreaterThan(v);
    c.onEvents([...opened(1160, 58900)]);
    expect(c.size).toBe(3); // the SYN_SENT with local port 0 made no lane
    const open = c.get('127.0.0.1:58900', S);
    expect(open).toMatchObject({ openedMs: 1160.07, closedMs: null, endedMs: null, closedFirst: '', live: { server: true, client: true } });
    c.onEvents(clientReset(1212, 58900));

    expect(c.get('127.0.0.1:58886', S)).toMatchObject({ openedMs: 1000.07, closedMs: 1066, endedMs: 1067.34, closedFirst: 'server', reset: false, timeWait: { server: 1067.31 } });
    expect(c.get('127.0.0.1:58894', S)).toMatchObject({ closedFirst: 'client', timeWait: { client: 1155.07 } });
    expect(c.get('127.0.0.1:58900', S)).toMatchObject({ closedFirst: 'client', reset: true, resetBy: 'client', timeWait: {}, endedMs: 1212.07 });
    expect(c.list().map((l) => l.client)).toEqual(['127.0.0.1:58886', '127.0.0.1:58894', '127.0.0.1:58900']);
  });

  it('FIN_WAIT1 on both ends, or FIN_WAIT1 -> CLOSING, is a simultaneous close: TIME_WAIT on both', () => {
    const c = new ConnLanes();
    c.onEvents([
      ...opened(0, 40000),
      ev(10, 'server', 40000, 'ESTABLISHED', 'FIN_WAIT1'),
      ev(10.01, 'client', 40000, 'ESTABLISHED', 'FIN_WAIT1'),
      ev(10.2, 'server', 40000, 'FIN_WAIT1', 'CLOSING'),
      ev(10.21, 'client', 40000, 'FIN_WAIT1', 'CLOSING'),
      ev(10.3, 'server', 40000, 'CLOSING', 'CLOSE'),
      ev(10.31, 'client', 40000, 'CLOSING', 'CLOSE'),
    ]);
    expect(c.get('127.0.0.1:40000', S)).toMatchObject({ closedFirst: 'simultaneous', timeWait: { server: 10.3, client: 10.31 }, endedMs: 10.31 });
    // Only one end here (a remote peer): its FIN_WAIT1 -> CLOSING says the same.
    c.onEvents([ev(20, 'server', 40001, 'ESTABLISHED', 'FIN_WAIT1'), ev(20.1, 'server', 40001, 'FIN_WAIT1', 'CLOSING'), ev(20.2, 'server', 40001, 'CLOSING', 'CLOSE')]);
    expect(c.get('127.0.0.1:40001', S)).toMatchObject({ closedFirst: 'simultaneous', here: ['server'], openedMs: null, seenMs: 20, endedMs: 20.2 });
  });

  it('a remote peer: CLOSE_WAIT says the peer closed first', () => {
    const c = new ConnLanes();
    c.onEvents([ev(5, 'server', 50000, 'ESTABLISHED', 'CLOSE_WAIT'), ev(7, 'server', 50000, 'CLOSE_WAIT', 'LAST_ACK'), ev(7.5, 'server', 50000, 'LAST_ACK', 'CLOSE')]);
    expect(c.get('127.0.0.1:50000', S)).toMatchObject({ closedFirst: 'client', closedMs: 5, endedMs: 7.5, timeWait: {} });
  });

  it('spells IPv4-mapped addresses as IPv4, so both ends meet in one lane', () => {
    expect(unmapAddr('[::ffff:127.0.0.1]:8081')).toBe('127.0.0.1:8081');
    expect(unmapAddr('[::1]:8081')).toBe('[::1]:8081');
    const c = new ConnLanes();
    c.onEvents([{ at: 1, side: 'server', local: '[::ffff:127.0.0.1]:39647', remote: '[::ffff:127.0.0.1]:41000', from: 'ESTABLISHED', to: 'FIN_WAIT1' }, ev(1.1, 'client', 41000, 'ESTABLISHED', 'CLOSE_WAIT')]);
    expect(c.size).toBe(1);
    expect(c.get('127.0.0.1:41000', S)?.here).toEqual(['server', 'client']);
  });
});

describe('ConnLanes from the server list and from polls', () => {
  const conn = (port: number, closedFirst: FlowConn['closedFirst'], extra: Partial<FlowConn> = {}): FlowConn => ({
    client: `127.0.0.1:${port}`,
    server: S,
    openedMs: port,
    endedMs: port + 5,
    closedFirst,
    reset: false,
    here: ['server', 'client'],
    ...extra,
  });

  it('seeds ended connections; the server says who closed first', () => {
    const c = new ConnLanes();
    c.onEvents(opened(100, 200)); // open when the list arrives: the list ends it
    c.seed([conn(100, 'server'), conn(200, 'client'), conn(300, 'simultaneous'), conn(400, 'client', { reset: true }), conn(500, 'server', { here: ['client'], openedMs: null })], 'ebpf');
    expect(c.get('127.0.0.1:100', S)).toMatchObject({ closedFirst: 'server', timeWait: { server: 105 }, endedMs: 105 });
    expect(c.get('127.0.0.1:200', S)).toMatchObject({ closedFirst: 'client', timeWait: { client: 205 }, openedMs: 100.07, live: { server: false, client: false } });
    expect(c.get('127.0.0.1:300', S)?.timeWait).toEqual({ server: 305, client: 305 });
    expect(c.get('127.0.0.1:400', S)).toMatchObject({ reset: true, timeWait: {} });
    // The server's end is elsewhere: its TIME_WAIT is not on this host.
    expect(c.get('127.0.0.1:500', S)).toMatchObject({ openedMs: null, seenMs: 505, timeWait: {} });
  });

  it('keeps the most recent LANES_KEPT, forgetting ended connections before open ones', () => {
    const c = new ConnLanes(5);
    c.onEvents(opened(1, 1000)); // the oldest, still open
    c.seed(
      Array.from({ length: 20 }, (_, i) => conn(2000 + i, 'server')),
      'ebpf',
    );
    expect(c.size).toBe(5);
    expect(c.list().map((l) => l.client)).toEqual(['127.0.0.1:1000', '127.0.0.1:2016', '127.0.0.1:2017', '127.0.0.1:2018', '127.0.0.1:2019']);
    // The same list again (polls refresh it): nothing older comes back.
    c.seed(
      Array.from({ length: 20 }, (_, i) => conn(2000 + i, 'server')),
      'ebpf',
    );
    expect(c.list().map((l) => l.client)).toEqual(['127.0.0.1:1000', '127.0.0.1:2016', '127.0.0.1:2017', '127.0.0.1:2018', '127.0.0.1:2019']);
    // Bounded whatever arrives.
    for (let i = 0; i < 200; i++) c.onEvents(opened(10_000 + i, 30_000 + i));
    expect(c.size).toBe(5);
  });

  it('polls: a new 4-tuple opened, a new TIME_WAIT closed first; an expiring TIME_WAIT changes nothing', () => {
    const sock = (side: Side, port: number, state: string) => (side === 'server' ? { local: S, remote: `127.0.0.1:${port}`, side, state, uid: 0 } : { local: `127.0.0.1:${port}`, remote: S, side, state, uid: 0 });
    const c = new ConnLanes();
    const ch = (kind: Change['kind'], side: Side, port: number, state: string, from?: string): Change => ({ kind, socket: sock(side, port, state), ...(from ? { from } : {}) });
    c.onChanges([ch('opened', 'server', 0, 'LISTEN'), ch('opened', 'server', 600, 'ESTABLISHED'), ch('opened', 'client', 600, 'ESTABLISHED')], 1000);
    expect(c.size).toBe(1);
    expect(c.get('127.0.0.1:600', S)).toMatchObject({ openedMs: 1000, here: ['server', 'client'], from: 'polls', live: { server: true, client: true } });
    c.onChanges([ch('changed', 'server', 600, 'TIME_WAIT', 'ESTABLISHED'), ch('gone', 'client', 600, 'ESTABLISHED')], 1250);
    expect(c.get('127.0.0.1:600', S)).toMatchObject({ closedFirst: 'server', timeWait: { server: 1250 }, closedMs: 1250, endedMs: 1250 });
    // Shorter than a poll: first seen in TIME_WAIT; opening not seen.
    c.onChanges([ch('opened', 'client', 601, 'TIME_WAIT')], 1500);
    expect(c.get('127.0.0.1:601', S)).toMatchObject({ openedMs: null, closedFirst: 'client', timeWait: { client: 1500 } });
    // 60 s later the TIME_WAIT expires: nothing changes, and no lane appears for one not kept.
    c.onChanges([ch('gone', 'server', 600, 'TIME_WAIT', 'TIME_WAIT'), ch('gone', 'server', 999, 'TIME_WAIT', 'TIME_WAIT')], 61_300);
    expect(c.get('127.0.0.1:600', S)?.endedMs).toBe(1250);
    expect(c.size).toBe(2);
    // Gone without a TIME_WAIT here: ended, closer not seen.
    c.onChanges([ch('opened', 'server', 602, 'ESTABLISHED')], 2000);
    c.onChanges([ch('gone', 'server', 602, 'ESTABLISHED')], 2250);
    expect(c.get('127.0.0.1:602', S)).toMatchObject({ closedFirst: '', endedMs: 2250 });
  });
});

describe('layoutConns', () => {
  const O = { ...DEFAULT_LANE_OPTS, width: 1200 };

  it('draws each connection with the Lab geometry: closer, RST, TIME_WAIT countdown', () => {
    const c = new ConnLanes();
    c.onEvents([...opened(1000, 58886), ...serverFirst(1066, 58886), ...opened(1100, 58894), ...clientFirst(1154, 58894), ...opened(1160, 58900), ...clientReset(1212, 58900)]);
    c.onEvents(opened(1300, 58910)); // still open
    const now = 11_000;
    // The poll timed the server's TIME_WAIT of the first one: 50 s left at `now`.
    const L = layoutConns(c.list(), now, O, (conn, side) => (conn.client.endsWith(':58886') && side === 'server' ? now + 50_000 : undefined));
    expect(L.t0).toBe(1000.07);
    expect(L.lanes.map((g) => [g.label, g.end, g.endText])).toEqual([
      [':58886', 'server', 'server closed first · TW 50 s'],
      [':58894', 'client', 'client closed first · TW 51 s'], // 1155.07 + 60 s - 11 000 = 50.2 s, rounded up
      [':58900', 'rst', 'RST by client'],
      [':58910', 'open', 'open'],
    ]);
    const [first, second] = L.lanes;
    expect(first.tw?.side).toBe('server');
    expect(second.tw?.side).toBe('client');
    // No poll timed the second one: 60 s from when it began.
    expect(toLane(c.list()[1], 0).timeWaitLeftMs).toBe(TIME_WAIT_MS);
    for (const g of L.lanes) expect(g.closerUnknown).toBe(false);
  });

  it('says when the closer or the opening was not seen, and draws only the most recent', () => {
    const c = new ConnLanes();
    c.onChanges([{ kind: 'opened', socket: { local: S, remote: '127.0.0.1:700', side: 'server', state: 'ESTABLISHED', uid: 0 } }], 1000);
    c.onChanges([{ kind: 'gone', socket: { local: S, remote: '127.0.0.1:700', side: 'server', state: 'ESTABLISHED', uid: 0 } }], 1250);
    c.onChanges([{ kind: 'opened', socket: { local: S, remote: '127.0.0.1:701', side: 'server', state: 'TIME_WAIT', uid: 0 } }], 1500);
    const L = layoutConns(c.list(), 2000, O);
    expect(L.lanes.map((g) => [g.closerUnknown, g.endText])).toEqual([
      [true, 'ended, closer not seen'],
      [false, 'server closed first · TW 60 s · opening not seen'], // 59.5 s left, rounded up
    ]);
    expect(layoutConns(c.list(), 2000, { ...O, maxLanes: 1 })).toMatchObject({ hidden: 1, lanes: [{ label: ':701' }] });
  });
});
