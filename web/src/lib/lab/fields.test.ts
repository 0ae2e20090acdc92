import { describe, expect, it } from 'vitest';
import { changedKeys, FIELD_KEYS, FIELDS, fieldDef, flatten, hints, nest, parseValue, setField, uiBase, UI_OBSERVE_NS, validate } from './fields';
import { CLIENT_DISABLE } from './fixtures';

describe('spec fields', () => {
  it('mirror the Go field table: 26 keys, unique, every group present', () => {
    // internal/experiment/fields.go lists 26 leaves besides "preset".
    expect(FIELD_KEYS.length).toBe(26);
    expect(new Set(FIELD_KEYS).size).toBe(26);
    for (const g of ['workload', 'server', 'client']) expect(FIELDS.some((f) => f.group === g)).toBe(true);
  });

  it('flatten and nest round-trip the server JSON', () => {
    const flat = flatten(CLIENT_DISABLE);
    expect(flat.interval).toBe(50e6);
    expect(flat['client.idleConnTimeout']).toBe(90e9);
    expect(flat['client.disableKeepAlives']).toBe(true);
    expect(flat['client.tcpKeepAlive.count']).toBe(9);
    expect(nest(flat, 'client-disable-keepalive')).toEqual(CLIENT_DISABLE);
  });

  it('uiBase is the preset with a 65 s observe', () => {
    expect(uiBase(CLIENT_DISABLE).observe).toBe(UI_OBSERVE_NS);
    expect(changedKeys(uiBase(CLIENT_DISABLE), flatten(CLIENT_DISABLE))).toEqual(['observe']);
  });

  it('parses input like Go Set, with its limits', () => {
    const d = (k: string) => fieldDef(k)!;
    expect(parseValue(d('requests'), ' 50 ')).toEqual({ ok: true, value: 50 });
    expect(parseValue(d('requests'), '1.5')).toEqual({ ok: false, error: 'want a whole number' });
    expect(parseValue(d('requests'), '-1')).toEqual({ ok: false, error: 'must be between 0 and 10000000' });
    expect(parseValue(d('concurrency'), '0')).toEqual({ ok: false, error: 'must be between 1 and 1000' });
    expect(parseValue(d('concurrency'), '1001').ok).toBe(false);
    expect(parseValue(d('rate'), '2.5')).toEqual({ ok: true, value: 2.5 });
    expect(parseValue(d('rate'), '20001').ok).toBe(false);
    expect(parseValue(d('bodyBytes'), String(8 << 20)).ok).toBe(true);
    expect(parseValue(d('bodyBytes'), String((8 << 20) + 1)).ok).toBe(false);
    expect(parseValue(d('observe'), '65s')).toEqual({ ok: true, value: 65e9 });
    expect(parseValue(d('observe'), '11m')).toEqual({ ok: false, error: 'must be at most 10m0s' });
    expect(parseValue(d('interval'), '1')).toMatchObject({ ok: false, error: expect.stringContaining('Go duration') });
    expect(parseValue(d('server.delay'), '-1s')).toEqual({ ok: false, error: 'must not be negative' });
    expect(parseValue(d('server.delay'), '61s').ok).toBe(false);
    expect(parseValue(d('client.tcpKeepAlive.idle'), '2h')).toEqual({ ok: true, value: 7200e9 });
    expect(parseValue(d('client.disableKeepAlives'), 'true')).toEqual({ ok: true, value: true });
    expect(parseValue(d('client.disableKeepAlives'), '0')).toEqual({ ok: true, value: false });
    expect(parseValue(d('client.disableKeepAlives'), 'yes').ok).toBe(false);
    expect(parseValue(d('client.body'), 'close-unread')).toEqual({ ok: true, value: 'close-unread' });
    expect(parseValue(d('client.body'), 'nope')).toMatchObject({ ok: false, error: expect.stringContaining('read-close') });
    expect(parseValue(d('client.tcpKeepAlive.count'), '128').ok).toBe(false);
  });

  it('rate and interval: the last one set wins, as with -set', () => {
    const flat = uiBase(CLIENT_DISABLE);
    const r = setField(flat, 'rate', 10);
    expect(r.rate).toBe(10);
    expect(r.interval).toBe(0);
    const i = setField(r, 'interval', 1e9);
    expect(i.rate).toBe(0);
    expect(setField(i, 'rate', 0).interval).toBe(1e9); // zero rate clears nothing
    expect(flat.rate).toBe(0); // not mutated
  });

  it('validate blocks what the server refuses; hints advise', () => {
    const flat = uiBase(CLIENT_DISABLE);
    expect(validate(flat)).toEqual({});
    expect(validate({ ...flat, rate: 5, interval: 1e6 })).toEqual({ rate: 'set either rate or interval, not both' });
    expect(validate({ ...flat, concurrency: 0, 'client.body': 'x' })).toEqual({
      concurrency: 'must be between 1 and 1000',
      'client.body': 'must be one of read-close, close-unread, read-no-close, partial-close',
    });
    expect(hints(flat)).toEqual({});
    expect(hints({ ...flat, observe: 2e9 }).observe).toContain('60 s');
    expect(hints({ ...flat, requests: 0 }).requests).toContain('Stop');
    expect(hints({ ...flat, 'client.protocol': 'h2c' })['client.protocol']).toContain('h2c');
    expect(Object.keys(hints({ ...flat, 'client.tcpKeepAlive.enable': false }))).toEqual([
      'client.tcpKeepAlive.idle',
      'client.tcpKeepAlive.interval',
      'client.tcpKeepAlive.count',
    ]);
  });
});
