import { describe, expect, it } from 'vitest';
import { compareFacts, MEASURES } from './compare';
import { result } from './fixtures';
import type { RunFacts } from './run';

interface Over {
  opened?: number;
  /** The server's reuse: requests served on an already-used connection, of served. */
  reused?: number;
  total?: number;
  twS?: number;
  twC?: number;
  p50?: number;
  p99?: number;
  rps?: number;
  errors?: number;
  /** httptrace's GotConn reused, when it differs from the server's count. */
  traceReused?: number;
  unused?: number;
  teardown?: number;
}

function facts(over: Over): RunFacts {
  const r = result();
  const total = over.total ?? 10;
  const reused = over.reused ?? 0;
  const opened = over.opened ?? 0;
  const unused = over.unused ?? 0;
  return {
    ...r,
    connections: { ...r.connections, opened, unused, carried: total - reused, reusedRequests: reused, servedRequests: total, teardown: over.teardown ?? 0 },
    requests: { ...r.requests, total, reused: over.traceReused ?? reused, errors: over.errors ?? 0 },
    kernel: { ...r.kernel, timeWaitPeak: { server: over.twS ?? 0, client: over.twC ?? 0 } },
    latency: { ...r.latency, p50Ms: over.p50 ?? 0.5, p99Ms: over.p99 ?? 1, requestsPerSec: over.rps ?? 19 },
  };
}

describe('comparison', () => {
  it('highlights what differs, says which is better', () => {
    // keepalive-default vs client-disable-keepalive, 10 requests.
    const a = facts({ opened: 1, reused: 9, twS: 0, twC: 0, p50: 0.3, p99: 0.6, rps: 19.5 });
    const b = facts({ opened: 10, reused: 0, twS: 10, twC: 0, p50: 0.5, p99: 1.3, rps: 19.3 });
    const rows = Object.fromEntries(compareFacts(a, b).map((r) => [r.id, r]));
    expect(rows.connections).toMatchObject({ a: 1, b: 10, fa: '1', fb: '10', differs: true, better: 'a' });
    expect(rows.reuse).toMatchObject({ a: 0.9, b: 0, fa: '90 % (9 of 10)', fb: '0 % (0 of 10)', differs: true, better: 'a' });
    expect(rows.twServer).toMatchObject({ differs: true, better: 'a' });
    expect(rows.twClient).toMatchObject({ differs: false, better: null });
    expect(rows.errors.differs).toBe(false);
    expect(rows.p50.differs).toBe(true); // 0.3 vs 0.5: x1.67, 0.2 ms apart
    expect(rows.p50.fa).toBe('0.30 ms');
    expect(rows.p99.differs).toBe(true);
    expect(rows.throughput).toMatchObject({ differs: false, fa: '19.5 req/s' });
  });

  it('timings: noise is not a difference', () => {
    const rows = compareFacts(facts({ p50: 0.05, p99: 1.0, rps: 100 }), facts({ p50: 0.12, p99: 1.3, rps: 110 }));
    const by = Object.fromEntries(rows.map((r) => [r.id, r.differs]));
    expect(by.p50).toBe(false); // x2.4 but under 0.1 ms apart
    expect(by.p99).toBe(false); // 0.3 ms apart but x1.3
    expect(by.throughput).toBe(false); // x1.1
    const big = compareFacts(facts({ rps: 100 }), facts({ rps: 2000 }));
    expect(big.find((r) => r.id === 'throughput')).toMatchObject({ differs: true, better: 'b', fb: '2,000 req/s' });
  });

  it('one row per measure, in order; higher is better for reuse and throughput', () => {
    const rows = compareFacts(facts({ errors: 2 }), facts({ errors: 0 }));
    expect(rows.map((r) => r.id)).toEqual(MEASURES.map((m) => m.id));
    expect(rows.find((r) => r.id === 'errors')).toMatchObject({ differs: true, better: 'b' });
    expect(compareFacts(facts({ total: 0 }), facts({ total: 0 })).find((r) => r.id === 'reuse')?.fa).toBe('0 % (0 of 0)');
  });

  it('reuse is the server count of the requests it served, as in the verdict; not httptrace over the client total', () => {
    // pool-churn as the issue saw it: httptrace said 1784 of 2000 (89 %),
    // the server served 1622 of 2000 on an already-used connection (81 %),
    // 378 connections carried them, 242 more were never used.
    const churn = facts({ total: 2000, reused: 1622, traceReused: 1784, opened: 620, unused: 242, teardown: 2 });
    const sized = facts({ total: 2000, reused: 1949, traceReused: 1951, opened: 51, teardown: 50 });
    const rows = Object.fromEntries(compareFacts(churn, sized).map((r) => [r.id, r]));
    expect(rows.reuse).toMatchObject({ a: 0.811, fa: '81 % (1,622 of 2,000)', b: 0.975, better: 'b' });
    expect(rows.connections).toMatchObject({ label: 'Connections opened', a: 620, b: 51 });
    expect(rows.carried).toMatchObject({ label: 'Connections that carried requests', a: 378, b: 51, better: 'b' });
    expect(rows.unused).toMatchObject({ label: 'Connections never used', a: 242, b: 0 });
    // Opened = carried requests + never used, on one screen.
    expect(rows.connections.a).toBe(rows.carried.a + rows.unused.a);
    // What the teardown closed is what was left open: neither is better.
    expect(rows.teardown).toMatchObject({ label: 'Connections closed by teardown', differs: true, better: null });
  });
});
