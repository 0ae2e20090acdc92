import { describe, expect, it } from 'vitest';
import type { SpecSchema } from '../../wire';
import { Fields, hints, parseValue, setField, UI_OBSERVE_NS } from './fields';
import { CLIENT_DISABLE } from './fixtures';
import SCHEMA from './schema.fixture.json';

// The schema as GET /api/schema serves it (the Go mirror test keeps the
// fixture identical to it).
const F = new Fields(SCHEMA as SpecSchema);

describe('spec fields', () => {
  it('come from the server schema, labelled and grouped by the UI table', () => {
    // internal/experiment/fields.go lists 26 leaves besides "preset".
    expect(F.keys.length).toBe(26);
    expect(new Set(F.keys).size).toBe(26);
    for (const g of ['workload', 'server', 'client'] as const) expect(F.inGroup(g).length).toBeGreaterThan(0);
    for (const f of F.defs) {
      expect(f.label).not.toBe(f.key);
      expect(f.help).not.toBe('');
    }
    // The form's order, not the schema's: bodyBytes sits with the server.
    expect(F.keys.slice(0, 6)).toEqual(['requests', 'duration', 'interval', 'rate', 'concurrency', 'observe']);
    expect(F.def('bodyBytes')).toMatchObject({ group: 'server', unit: 'B', min: 0, max: 8 << 20, default: 1024 });
    expect(F.def('observe')).toMatchObject({ kind: 'duration', min: 0, max: 600e9, default: 65e9 });
    expect(F.def('client.body')?.options?.[1]).toEqual({ value: 'close-unread', label: 'Close without reading' });
    expect(F.workloadKeys).toEqual(['requests', 'duration', 'interval', 'rate', 'concurrency', 'observe']);
  });

  it('take a field the UI table lacks, labelled by its key', () => {
    const f = new Fields({ fields: [...(SCHEMA as SpecSchema).fields, { key: 'server.newKnob', kind: 'int', default: 3, min: 0, max: 9 }] });
    expect(f.keys.at(-1)).toBe('server.newKnob');
    expect(f.def('server.newKnob')).toMatchObject({ group: 'server', label: 'server.newKnob', max: 9, default: 3 });
    expect(parseValue(f.def('server.newKnob')!, '10').ok).toBe(false);
  });

  it('flatten and nest round-trip the server JSON', () => {
    const flat = F.flatten(CLIENT_DISABLE);
    expect(flat.interval).toBe(50e6);
    expect(flat['client.idleConnTimeout']).toBe(90e9);
    expect(flat['client.disableKeepAlives']).toBe(true);
    expect(flat['client.tcpKeepAlive.count']).toBe(9);
    expect(F.nest(flat, 'client-disable-keepalive')).toEqual(CLIENT_DISABLE);
  });

  it('uiBase is the preset with a 65 s observe', () => {
    expect(F.uiBase(CLIENT_DISABLE).observe).toBe(UI_OBSERVE_NS);
    expect(F.changedKeys(F.uiBase(CLIENT_DISABLE), F.flatten(CLIENT_DISABLE))).toEqual(['observe']);
  });

  it('parses input like Go Set, with its limits', () => {
    const d = (k: string) => F.def(k)!;
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
    const flat = F.uiBase(CLIENT_DISABLE);
    const r = setField(flat, 'rate', 10);
    expect(r.rate).toBe(10);
    expect(r.interval).toBe(0);
    const i = setField(r, 'interval', 1e9);
    expect(i.rate).toBe(0);
    expect(setField(i, 'rate', 0).interval).toBe(1e9); // zero rate clears nothing
    expect(flat.rate).toBe(0); // not mutated
  });

  it('validate blocks what the server refuses; hints advise', () => {
    const flat = F.uiBase(CLIENT_DISABLE);
    expect(F.validate(flat)).toEqual({});
    expect(F.validate({ ...flat, rate: 5, interval: 1e6 })).toEqual({ rate: 'set either rate or interval, not both' });
    expect(F.validate({ ...flat, concurrency: 0, 'client.body': 'x' })).toEqual({
      concurrency: 'must be between 1 and 1000',
      'client.body': 'must be one of read-close, close-unread, read-no-close, partial-close',
    });
    expect(hints(flat)).toEqual({});
    expect(hints({ ...flat, observe: 2e9 }).observe).toContain('60 s');
    expect(hints({ ...flat, requests: 0 }).requests).toContain('Stop');
    expect(hints({ ...flat, 'client.protocol': 'h2c' })['client.protocol']).toContain('h2c');
    expect(Object.keys(hints({ ...flat, 'client.tcpKeepAlive.enable': false }))).toEqual(['client.tcpKeepAlive.idle', 'client.tcpKeepAlive.interval', 'client.tcpKeepAlive.count']);
  });
});
