import { describe, expect, it } from 'vitest';
import { parseServerMessage } from './messages';

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
    const answered = parseServerMessage(
      '{"type":"exp-update","id":"e1","seq":3,"status":"completed","answer":"The server closed 9 of 10 first","findings":null,"lanes":null,"log":null,"timeline":null}',
    );
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
