import { describe, expect, it } from 'vitest';
// Golden encodings of the Go side (internal/wire/testdata): what the server really sends.
import goldenConns from '../../../internal/wire/testdata/flow_conns.golden.json';
import goldenPortFlow from '../../../internal/wire/testdata/port_status_flow.golden.json';
import goldenTransitions from '../../../internal/wire/testdata/transitions.golden.json';
import { normConns, normFlow, normVerdict, parseServerMessage } from './messages';

describe('parseServerMessage', () => {
  it('turns Go nils into empty values', () => {
    const snap = parseServerMessage(
      '{"type":"snapshot","port":8081,"seq":0,"at":0,"source":"netlink","counts":{"server":null,"client":null},"sockets":null,"socketsTotal":0,"timeline":{"port":8081,"seq0":1,"seq":0,"t":null,"server":null,"client":null}}',
    );
    expect(snap).toMatchObject({
      type: 'snapshot',
      counts: { server: {}, client: {} },
      sockets: [],
      timeline: { t: [], server: {}, client: {} },
    });
    const tick = parseServerMessage('{"type":"tick","port":8081,"seq":1,"at":5,"counts":{"server":{"LISTEN":1},"client":{}},"changes":null}');
    expect(tick).toMatchObject({ type: 'tick', changes: [], truncated: false, counts: { server: { LISTEN: 1 } } });
  });

  it('reads ports, hello and error messages', () => {
    expect(parseServerMessage('{"type":"ports","ports":[{"port":8081,"source":"netlink","at":"","counts":{"server":{},"client":{}}}]}')).toEqual({
      type: 'ports',
      ports: [{ port: 8081, source: 'netlink', at: '', counts: { server: {}, client: {} } }],
    });
    expect(parseServerMessage('{"type":"ports","ports":null}')).toEqual({ type: 'ports', ports: [] });
    expect(parseServerMessage('{"type":"hello","source":"gopsutil","version":"v1","go":"go1.26.8","intervalMs":250}')).toEqual({
      type: 'hello',
      source: 'gopsutil',
      version: 'v1',
      go: 'go1.26.8',
      intervalMs: 250,
    });
    expect(parseServerMessage('{"type":"error","error":{"code":"not_watched","message":"port 1 is not watched","field":"port"}}')).toEqual({
      type: 'error',
      error: { code: 'not_watched', message: 'port 1 is not watched', field: 'port' },
    });
  });

  it('reads Lab experiment messages, Go nils made empty', () => {
    const snap = parseServerMessage(
      JSON.stringify({
        type: 'exp-snapshot',
        id: 'e1',
        seq: 0,
        result: {
          id: 'e1',
          status: 'running',
          requests: { total: 0, serverSaw: null, protos: null, framing: null, status: null },
          kernel: { timeWaitPeak: { server: 0, client: 0 }, last: { server: null, client: null } },
          findings: null,
          lanes: null,
          log: null,
          timeline: { port: 1, seq0: 1, seq: 0, t: null, server: null, client: null },
        },
      }),
    );
    expect(snap).toMatchObject({
      type: 'exp-snapshot',
      id: 'e1',
      result: { lanes: [], log: [], findings: [], requests: { serverSaw: {}, protos: {} }, kernel: { last: { server: {}, client: {} } }, timeline: { t: [], server: {} } },
    });
    const up = parseServerMessage(
      '{"type":"exp-update","id":"e1","seq":2,"at":5,"status":"running","progress":{"phase":"workload"},"requests":{"serverSaw":{"close":1}},"kernel":{"last":{"server":{"LISTEN":1},"client":null}},"findings":[{"id":"reuse","level":"bad","text":"x","evidence":null}],"lanes":null,"log":null,"timeline":{"port":1,"seq0":3,"seq":2,"t":null,"server":null,"client":null}}',
    );
    expect(up).toMatchObject({
      type: 'exp-update',
      seq: 2,
      lanes: [],
      log: [],
      findings: [{ id: 'reuse', evidence: [] }],
      requests: { serverSaw: { close: 1 }, framing: {} },
      kernel: { last: { server: { LISTEN: 1 }, client: {} } },
    });
    // The optional one-line answer: a string is kept, anything else dropped.
    const answered = parseServerMessage('{"type":"exp-update","id":"e1","seq":3,"status":"completed","answer":"The server closed 9 of 10 first","findings":null,"lanes":null,"log":null,"timeline":null}');
    expect(answered).toMatchObject({ type: 'exp-update', answer: 'The server closed 9 of 10 first' });
    const odd = parseServerMessage('{"type":"exp-update","id":"e1","seq":3,"status":"completed","answer":42}');
    expect(odd && 'answer' in odd ? odd.answer : undefined).toBeUndefined();
    const snapAnswered = parseServerMessage('{"type":"exp-snapshot","id":"e1","seq":0,"result":{"id":"e1","answer":"yes"}}');
    expect(snapAnswered).toMatchObject({ result: { answer: 'yes' } });
    expect(parseServerMessage('{"type":"exp-update","seq":1}')).toBeNull();
    expect(parseServerMessage('{"type":"exp-snapshot","id":"e1","seq":0}')).toBeNull();
  });

  it('rejects malformed input', () => {
    for (const s of ['', 'null', '[]', '{"type":1}', '{"type":"tick"}', '{"type":"snapshot","port":"x","seq":1}', '{"type":"error"}', '{"type":"later"}']) {
      expect(parseServerMessage(s)).toBeNull();
    }
  });
});

describe('flow and transitions', () => {
  it('reads the golden transitions message', () => {
    const m = parseServerMessage(JSON.stringify(goldenTransitions));
    expect(m).toEqual({
      type: 'transitions',
      port: 8081,
      events: [
        { at: 1795352400250.125, side: 'server', local: '127.0.0.1:8081', remote: '127.0.0.1:54722', from: 'ESTABLISHED', to: 'FIN_WAIT1', pid: 4242, process: 'myservice' },
        { at: 1795352400250.25, side: 'client', local: '127.0.0.1:54722', remote: '127.0.0.1:8081', from: '', to: '', reset: 'received' },
      ],
    });
  });

  it('keeps a transitions batch when one event is malformed, and its flow and dropped count', () => {
    const m = parseServerMessage(
      JSON.stringify({
        type: 'transitions',
        port: 8081,
        events: [{ at: 'x' }, null, { at: 5, side: 'sideways', local: 'a', remote: 'b' }, { at: 6, side: 'client', local: 'a:1', remote: 'b:2', from: 'SYN_SENT', to: 'ESTABLISHED', reset: 'bogus' }],
        dropped: 12,
        flow: goldenPortFlow.flow,
      }),
    );
    expect(m?.type).toBe('transitions');
    if (m?.type !== 'transitions') return;
    expect(m.events).toEqual([{ at: 6, side: 'client', local: 'a:1', remote: 'b:2', from: 'SYN_SENT', to: 'ESTABLISHED' }]);
    expect(m.dropped).toBe(12);
    expect(m.flow?.total.closedFirst).toEqual({ server: 117, client: 3, simultaneous: 0 });
    expect(parseServerMessage('{"type":"transitions","events":[]}')).toBeNull();
    expect(parseServerMessage('{"type":"transitions","port":1,"events":null}')).toEqual({ type: 'transitions', port: 1, events: [] });
  });

  it('reads the golden flow of a port, and a tick carrying one', () => {
    const tick = parseServerMessage(JSON.stringify({ type: 'tick', port: 8081, seq: 3, at: 9, counts: {}, changes: [], flow: goldenPortFlow.flow }));
    expect(tick?.type).toBe('tick');
    if (tick?.type !== 'tick') return;
    expect(tick.flow).toMatchObject({
      source: 'ebpf',
      lowerBound: false,
      since: '2026-11-21T12:58:00Z',
      total: { opened: 120, openedBy: { server: 120, client: 0 }, closedFirst: { server: 117, client: 3, simultaneous: 0 }, reset: 1 },
      last60s: { opened: 58, perSec: 0.97, windowSec: 60 },
      lifetimeMs: { p50: 1.2, p99: 4.8, n: 58 },
      forecast: { timeWaitSteady: { server: 57, client: 0 }, ephemeralExhaustSec: null },
    });
  });

  it('fills missing flow fields, keeps the nulls that mean "not measured", and never calls polls exact', () => {
    expect(normFlow(null)).toBeUndefined();
    expect(normFlow({ source: 'carrier pigeon' })).toBeUndefined();
    const f = normFlow({ source: 'polls', lowerBound: false, missing: 'connections shorter than a poll', total: { closedFirst: { server: 4 } }, lifetimeMs: { p50: null, p99: null, n: 0 }, forecast: {} });
    expect(f).toEqual({
      source: 'polls',
      lowerBound: true,
      missing: 'connections shorter than a poll',
      since: '',
      total: { opened: 0, openedBy: { server: 0, client: 0 }, closedFirst: { server: 4, client: 0, simultaneous: 0 }, reset: 0, timeWait: { server: 0, client: 0 } },
      last60s: { opened: 0, openedBy: { server: 0, client: 0 }, closedFirst: { server: 0, client: 0, simultaneous: 0 }, reset: 0, timeWait: { server: 0, client: 0 }, perSec: 0, windowSec: 0 },
      lifetimeMs: { p50: null, p99: null, n: 0 },
      forecast: { timeWaitSteady: { server: 0, client: 0 }, ephemeralExhaustSec: null },
    });
    expect(normFlow({ source: 'ebpf', lostEvents: 3, untracked: 2, forecast: { ephemeralExhaustSec: 420 } })).toMatchObject({ lostEvents: 3, untracked: 2, forecast: { ephemeralExhaustSec: 420 } });
  });
});

describe('verdict and connections answers', () => {
  it('reads the golden list of connections, dropping what is malformed', () => {
    expect(normConns(goldenConns, 1)).toEqual({
      port: 8081,
      source: 'ebpf',
      connections: [{ client: '127.0.0.1:54722', server: '127.0.0.1:8081', openedMs: 1795352400249.5, endedMs: 1795352400250.75, closedFirst: 'server', reset: false, here: ['server', 'client'] }],
    });
    expect(normConns({ source: 'polls', connections: [null, { client: 'a:1', server: 'b:2', endedMs: 5, openedMs: null, closedFirst: 'sideways', here: null }] }, 9)).toEqual({
      port: 9,
      source: 'polls',
      connections: [{ client: 'a:1', server: 'b:2', openedMs: null, endedMs: 5, closedFirst: '', reset: false, here: [] }],
    });
  });

  it('reads a verdict, nil evidence made empty', () => {
    expect(normVerdict({ port: 8081, findings: [{ id: 'watch-closed-first', level: 'warn', text: 't', evidence: null, lab: 'client-disable-keepalive' }] }, 1)).toEqual({
      port: 8081,
      findings: [{ id: 'watch-closed-first', level: 'warn', text: 't', evidence: [], lab: 'client-disable-keepalive' }],
    });
    expect(normVerdict({ findings: null }, 7)).toEqual({ port: 7, findings: [] });
  });
});
