import { describe, expect, it } from 'vitest';
import type { Flow, Snapshot, Tick, Transitions } from '../wire';
import { FlowFeed } from './flowfeed';
import { normFlow } from './messages';

const SINCE = '2026-11-21T12:58:00Z';

function flow(server: number, client: number, source: 'ebpf' | 'polls' = 'ebpf'): Flow {
  const f = normFlow({ source, since: SINCE, total: { opened: server + client, closedFirst: { server, client } } });
  if (!f) throw new Error('bad fixture');
  return f;
}

function snapshot(at: number, f?: Flow): Snapshot {
  return {
    type: 'snapshot',
    port: 8081,
    seq: 1,
    at,
    source: 'netlink',
    counts: { server: {}, client: {} },
    sockets: [],
    socketsTotal: 0,
    timeline: { port: 8081, seq0: 1, seq: 1, t: [], server: {}, client: {} },
    flow: f,
  };
}

function tick(at: number, f: Flow | undefined, changes: Tick['changes'] = []): Tick {
  return { type: 'tick', port: 8081, seq: 2, at, counts: { server: {}, client: {} }, changes, flow: f };
}

describe('FlowFeed', () => {
  it('takes figures from snapshots, ticks and transitions; charts one point per poll', () => {
    const f = new FlowFeed(8081, 250);
    expect(f.onSnapshot(snapshot(1000))).toBe(false); // a server without flow figures
    expect(f.onSnapshot(snapshot(1000, flow(0, 0)))).toBe(true);
    expect(f.source).toBe('ebpf');
    const tr: Transitions = { type: 'transitions', port: 8081, events: [], flow: flow(3, 0) };
    expect(f.onTransitions(tr)).toBe(true);
    expect(f.flow?.total.closedFirst.server).toBe(3);
    expect(f.closes.length).toBe(1); // transitions do not add chart points
    f.onTick(tick(1250, flow(3, 1)));
    expect(f.closes.length).toBe(2);
    expect(f.onTick({ ...tick(1500, flow(3, 1)), port: 9 })).toBe(false);
  });

  it('never steps back to older figures that crossed newer ones on the way', () => {
    const f = new FlowFeed(8081, 250);
    f.onTransitions({ type: 'transitions', port: 8081, events: [], flow: flow(5, 2) });
    f.onTick(tick(1000, flow(4, 2))); // computed before the transitions batch, sent after it
    expect(f.flow?.total.closedFirst.server).toBe(5);
    f.onTick(tick(1250, { ...flow(0, 0), since: '2026-11-21T13:00:00Z' })); // watching began again: take it
    expect(f.flow?.total.closedFirst.server).toBe(0);
  });

  it('feeds the lanes: events with eBPF, poll changes with polls, the server list with both', () => {
    const f = new FlowFeed(8081, 250);
    const sock = { local: '127.0.0.1:8081', remote: '127.0.0.1:40000', side: 'server' as const, state: 'TIME_WAIT', uid: 0 };
    f.onTick(tick(1000, flow(1, 0), [{ kind: 'changed', socket: sock, from: 'ESTABLISHED' }]));
    expect(f.lanes.size).toBe(0); // eBPF: the transitions tell, not the polls
    f.onTick(tick(1250, flow(1, 0, 'polls'), [{ kind: 'changed', socket: sock, from: 'ESTABLISHED' }]));
    expect(f.lanes.get('127.0.0.1:40000', '127.0.0.1:8081')?.closedFirst).toBe('server');
    f.onTransitions({ type: 'transitions', port: 8081, events: [{ at: 5, side: 'client', local: '127.0.0.1:40001', remote: '127.0.0.1:8081', from: 'ESTABLISHED', to: 'FIN_WAIT1' }], dropped: 4 });
    expect(f.lanes.size).toBe(2);
    expect(f.lanes.dropped).toBe(4);
    expect(
      f.onConnections({ port: 8081, source: 'polls', connections: [{ client: '127.0.0.1:40002', server: '127.0.0.1:8081', openedMs: null, endedMs: 9, closedFirst: 'client', reset: false, here: ['client'] }] }, 77),
    ).toBe(true);
    expect(f.lanes.size).toBe(3);
    expect(f.connectionsAt).toBe(77);
    expect(f.onConnections({ port: 1, source: 'polls', connections: [] }, 78)).toBe(false);
  });

  it('keeps the latest verdict, and the last failure until the next answer', () => {
    const f = new FlowFeed(8081, 250);
    f.onVerdictError('connlab is not reachable');
    expect(f.verdictError).toBe('connlab is not reachable');
    f.onVerdict({ port: 8081, findings: [{ id: 'watch-closed-first', level: 'warn', text: 'The server closes first', evidence: [] }] }, 500);
    expect(f.findings?.[0].id).toBe('watch-closed-first');
    expect(f.verdictAt).toBe(500);
    expect(f.verdictError).toBe('');
    expect(f.onVerdict({ port: 1, findings: [] }, 600)).toBe(false);
  });
});
