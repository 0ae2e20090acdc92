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

  it('rejects malformed input', () => {
    for (const s of ['', 'null', '[]', '{"type":1}', '{"type":"tick"}', '{"type":"snapshot","port":"x","seq":1}', '{"type":"error"}', '{"type":"later"}']) {
      expect(parseServerMessage(s)).toBeNull();
    }
  });
});
