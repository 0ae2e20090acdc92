import { describe, expect, it } from 'vitest';
import { compareFacts, MEASURES } from './compare';
import { result } from './fixtures';
import type { RunFacts } from './run';

function facts(over: { opened?: number; reused?: number; total?: number; twS?: number; twC?: number; p50?: number; p99?: number; rps?: number; errors?: number }): RunFacts {
  const r = result();
  return {
    ...r,
    connections: { ...r.connections, opened: over.opened ?? 0 },
    requests: { ...r.requests, total: over.total ?? 10, reused: over.reused ?? 0, errors: over.errors ?? 0 },
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
});
