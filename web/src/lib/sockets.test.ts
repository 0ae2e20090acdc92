import { describe, expect, it } from 'vitest';
import type { Socket } from '../wire';
import { SocketTable, hostOf, portOf, socketKey, timeWaitLeft } from './sockets';

const sock = (local: string, remote: string, side: 'server' | 'client', state: string, extra: Partial<Socket> = {}): Socket => ({
  local,
  remote,
  side,
  state,
  uid: 0,
  ...extra,
});

describe('SocketTable', () => {
  it('applies opened / changed / gone by 4-tuple', () => {
    const t = new SocketTable();
    t.load([sock('127.0.0.1:8081', '0.0.0.0:0', 'server', 'LISTEN')], 1, 1000);
    const est = sock('127.0.0.1:8081', '127.0.0.1:50000', 'server', 'ESTABLISHED');
    t.apply([{ kind: 'opened', socket: est }], 1250);
    expect(t.size).toBe(2);
    t.apply([{ kind: 'changed', socket: { ...est, state: 'TIME_WAIT', timer: 'timewait', timerMs: 60000, process: 'kernel' }, from: 'ESTABLISHED' }], 1500);
    const row = t.get(socketKey(est))!;
    expect(row.state).toBe('TIME_WAIT');
    expect(row.expiresAt).toBe(61500);
    expect(timeWaitLeft(row, 31500)).toBe(30000);
    expect(timeWaitLeft(row, 90000)).toBe(0);
    t.apply([{ kind: 'gone', socket: est, from: 'TIME_WAIT' }], 62000);
    expect(t.size).toBe(1);
    expect(t.total).toBe(1);
  });

  it('a snapshot replaces everything and takes the countdown from its own time', () => {
    const t = new SocketTable();
    t.apply([{ kind: 'opened', socket: sock('a:1', 'b:2', 'client', 'ESTABLISHED') }], 1);
    t.load([sock('127.0.0.1:40000', '127.0.0.1:8081', 'client', 'TIME_WAIT', { timer: 'timewait', timerMs: 42000 })], 1, 5000);
    expect(t.size).toBe(1);
    expect(t.list(10).rows[0].expiresAt).toBe(47000);
  });

  it('only TIME_WAIT timers get a countdown', () => {
    const t = new SocketTable();
    t.load([sock('a:1', 'b:2', 'server', 'ESTABLISHED', { timer: 'keepalive', timerMs: 7000 })], 1, 1000);
    expect(timeWaitLeft(t.list(1).rows[0], 1000)).toBeNull();
  });

  it('lists server side first, by state order, capped, telling how many are hidden', () => {
    const t = new SocketTable();
    const socks: Socket[] = [];
    for (let i = 0; i < 30; i++) socks.push(sock(`127.0.0.1:${41000 + i}`, '127.0.0.1:8081', 'client', i % 2 ? 'TIME_WAIT' : 'ESTABLISHED'));
    socks.push(sock('127.0.0.1:8081', '0.0.0.0:0', 'server', 'LISTEN'));
    socks.push(sock('127.0.0.1:8081', '127.0.0.1:41000', 'server', 'ESTABLISHED'));
    t.load(socks, socks.length, 1000);
    const l = t.list(5);
    expect(l.rows.map((r) => `${r.side} ${r.state}`)).toEqual(['server ESTABLISHED', 'server LISTEN', 'client ESTABLISHED', 'client ESTABLISHED', 'client ESTABLISHED']);
    expect(l.rows[2].local).toBe('127.0.0.1:41000');
    expect(l.hidden).toBe(27);
    expect(l.unknown).toBe(0);
  });

  it('tracks sockets a capped snapshot left out', () => {
    const t = new SocketTable();
    t.load([sock('a:1', 'b:8081', 'client', 'ESTABLISHED')], 3000, 1000);
    expect(t.total).toBe(3000);
    expect(t.list(10).unknown).toBe(2999);
    // A change for a socket we never saw: it was one of the unknown ones.
    t.apply([{ kind: 'changed', socket: sock('a:2', 'b:8081', 'client', 'TIME_WAIT'), from: 'ESTABLISHED' }], 1250);
    expect(t.size).toBe(2);
    expect(t.total).toBe(3000);
    t.apply([{ kind: 'gone', socket: sock('a:3', 'b:8081', 'client', 'TIME_WAIT') }], 1500);
    expect(t.total).toBe(2999);
    t.apply([{ kind: 'opened', socket: sock('a:4', 'b:8081', 'client', 'SYN_SENT') }], 1750);
    expect(t.total).toBe(3000);
  });

  it('counts client-side sockets per destination, every state', () => {
    const t = new SocketTable();
    t.load(
      [
        sock('127.0.0.1:40000', '127.0.0.1:8081', 'client', 'ESTABLISHED'),
        sock('127.0.0.1:40001', '127.0.0.1:8081', 'client', 'TIME_WAIT'),
        sock('[::1]:40002', '[::1]:8081', 'client', 'TIME_WAIT'),
        sock('127.0.0.1:8081', '127.0.0.1:40000', 'server', 'ESTABLISHED'),
      ],
      4,
      0,
    );
    expect(Object.fromEntries(t.clientDestinations())).toEqual({ '127.0.0.1:8081': 2, '[::1]:8081': 1 });
    expect(t.countSide('server')).toBe(1);
  });

  it('splits addresses', () => {
    expect(portOf('[::ffff:127.0.0.1]:8081')).toBe(8081);
    expect(hostOf('[::1]:8081')).toBe('[::1]');
    expect(hostOf('10.0.0.1:22')).toBe('10.0.0.1');
  });
});
