import { describe, expect, it } from 'vitest';
import type { SpecJSON, SpecSchema } from '../../wire';
import { Fields, setField } from './fields';
import SCHEMA from './schema.fixture.json';
import { CLIENT_DISABLE } from './fixtures';
import { decodeLabQuery, encodeLabQuery, withWorkload } from './specurl';

const KEEPALIVE: SpecJSON = { ...CLIENT_DISABLE, preset: 'keepalive-default', client: { ...CLIENT_DISABLE.client, disableKeepAlives: false } };
const POOL: SpecJSON = { ...CLIENT_DISABLE, preset: 'pool-churn', requests: 2000, concurrency: 50, interval: '0s', client: { ...KEEPALIVE.client, maxIdleConnsPerHost: 2 } };
const specs: Record<string, SpecJSON> = { 'client-disable-keepalive': CLIENT_DISABLE, 'keepalive-default': KEEPALIVE, 'pool-churn': POOL };
const F = new Fields(SCHEMA as SpecSchema);
const baseOf = (n: string) => (specs[n] ? F.uiBase(specs[n]) : undefined);

describe('Lab URL', () => {
  it('writes only what differs from the preset (as the Lab shows it)', () => {
    const base = baseOf('client-disable-keepalive')!;
    expect(encodeLabQuery(F, { preset: 'client-disable-keepalive', values: base }, null, baseOf)).toBe('?preset=client-disable-keepalive');
    let v = setField(base, 'requests', 50);
    v = setField(v, 'observe', 2e9);
    v = setField(v, 'server.idleTimeout', 1.5e9);
    expect(encodeLabQuery(F, { preset: 'client-disable-keepalive', values: v }, null, baseOf)).toBe('?preset=client-disable-keepalive&requests=50&observe=2s&server.idleTimeout=1.5s');
  });

  it('reads the example link of the brief', () => {
    const q = decodeLabQuery(F, '?preset=client-disable-keepalive&requests=50&client.disableKeepAlives=true', baseOf, 'keepalive-default');
    expect(q.problems).toEqual([]);
    expect(q.a.preset).toBe('client-disable-keepalive');
    expect(q.a.values).toEqual({ ...baseOf('client-disable-keepalive'), requests: 50 });
    expect(q.b).toBeNull();
  });

  it('round-trips single and compare states', () => {
    const a = { preset: 'keepalive-default', values: setField(setField(baseOf('keepalive-default')!, 'requests', 10), 'observe', 2e9) };
    const bVals = withWorkload(F, setField(baseOf('pool-churn')!, 'client.maxIdleConnsPerHost', 50), a.values);
    const b = { preset: 'pool-churn', values: bVals };
    const s = encodeLabQuery(F, a, b, baseOf);
    expect(s).toBe('?preset=keepalive-default&requests=10&observe=2s&compare=pool-churn&b.client.maxIdleConnsPerHost=50');
    const q = decodeLabQuery(F, s, baseOf, 'x');
    expect(q.problems).toEqual([]);
    expect(q.a).toEqual(a);
    expect(q.b).toEqual(b);
    // B runs A's workload, whatever its preset's workload was.
    expect(q.b!.values.requests).toBe(10);
    expect(q.b!.values.concurrency).toBe(1);
    expect(q.b!.values['client.maxIdleConnsPerHost']).toBe(50);
  });

  it('skips and reports what it cannot read', () => {
    const q = decodeLabQuery(F, '?preset=nope&requests=x&bogus=1&b.requests=5&compare=keepalive-default&b.server.delay=2s&concurrency=0', baseOf, 'client-disable-keepalive');
    expect(q.a.preset).toBe('client-disable-keepalive');
    expect(q.a.values).toEqual(baseOf('client-disable-keepalive'));
    expect(q.b?.preset).toBe('keepalive-default');
    expect(q.b?.values['server.delay']).toBe(2e9);
    expect(q.problems).toEqual([
      'preset: unknown preset "nope"',
      'requests=x: want a whole number',
      'bogus: unknown field',
      "b.requests: a comparison shares the first spec's workload; set requests instead",
      'concurrency=0: must be between 1 and 1000',
    ]);
    expect(decodeLabQuery(F, '?b.server.delay=1s', baseOf, 'keepalive-default').problems).toEqual(['b.server.delay: no comparison (add compare=<preset>)']);
  });

  it('an empty query is the fallback preset', () => {
    const q = decodeLabQuery(F, '', baseOf, 'keepalive-default');
    expect(q).toEqual({ a: { preset: 'keepalive-default', values: baseOf('keepalive-default') }, b: null, problems: [] });
  });

  it('rate after interval clears it, in URL order', () => {
    const q = decodeLabQuery(F, '?preset=keepalive-default&rate=100', baseOf, 'x');
    expect(q.a.values.rate).toBe(100);
    expect(q.a.values.interval).toBe(0);
    expect(encodeLabQuery(F, q.a, null, baseOf)).toBe('?preset=keepalive-default&interval=0s&rate=100');
    expect(decodeLabQuery(F, '?preset=keepalive-default&interval=0s&rate=100', baseOf, 'x').a).toEqual(q.a);
  });
});
