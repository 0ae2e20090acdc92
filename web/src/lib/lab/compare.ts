// The comparison table of two runs with the same workload: one row per
// measure, both values, whether they differ enough to highlight, and which
// is better. Counts differ when they are not equal; timings and throughput
// only past a ratio (loopback timings are noisy: a 10 % change is not a
// finding). Pure.

import { formatInt, formatPercent } from '../format';
import { CONN_LABELS, reuseOf } from './counts';
import type { RunFacts } from './run';

export type Better = 'a' | 'b' | null;

export interface CompareRow {
  id: string;
  label: string;
  /** Where the number comes from, for the caption. */
  source: string;
  a: number;
  b: number;
  fa: string;
  fb: string;
  differs: boolean;
  better: Better;
}

/** Latency values differ past this ratio (and LATENCY_MIN_MS apart). */
export const LATENCY_RATIO = 1.5;
export const LATENCY_MIN_MS = 0.1;
/** Throughput values differ past this ratio (and THROUGHPUT_MIN apart, req/s). */
export const THROUGHPUT_RATIO = 1.2;
export const THROUGHPUT_MIN = 0.5;

type Measure = {
  id: string;
  label: string;
  source: string;
  value: (f: RunFacts) => number;
  format: (v: number, f: RunFacts) => string;
  /** Lower is better (connections, TIME_WAIT, errors, latency) or higher (reuse, throughput). */
  lowerBetter: boolean;
  /** Neither value is better (what the teardown closed depends on what was left open). */
  noBetter?: boolean;
  differs?: (a: number, b: number) => boolean;
};

const count = (v: number) => formatInt(v);
const ms = (v: number) => (v >= 100 ? `${Math.round(v)} ms` : `${v.toFixed(2)} ms`);

function ratioDiffers(ratio: number, min: number) {
  return (a: number, b: number) => {
    const lo = Math.min(a, b);
    const hi = Math.max(a, b);
    if (hi - lo < min) return false;
    return lo <= 0 || hi / lo >= ratio;
  };
}

/** Share of the requests the server served that went over an already-used connection (0..1): the server's count over the server's population (counts.ts). */
export function reuseRatio(f: RunFacts): number {
  return reuseOf(f.connections).ratio;
}

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export const MEASURES: readonly Measure[] = [
  { id: 'connections', label: capital(CONN_LABELS.opened), source: 'listener accepts', value: (f) => f.connections.opened, format: count, lowerBetter: true },
  {
    id: 'carried',
    label: `Connections that ${CONN_LABELS.carried}`,
    source: 'server: requests per accepted connection',
    value: (f) => f.connections.carried,
    format: count,
    lowerBetter: true,
  },
  { id: 'unused', label: `Connections ${CONN_LABELS.unused}`, source: 'listener accepts, no request', value: (f) => f.connections.unused, format: count, lowerBetter: true },
  { id: 'teardown', label: `Connections ${CONN_LABELS.teardown}`, source: 'wrapped conns', value: (f) => f.connections.teardown, format: count, lowerBetter: true, noBetter: true },
  {
    id: 'reuse',
    label: 'Requests served on an already-used connection',
    source: 'server: requests per accepted connection',
    value: (f) => Math.round(reuseRatio(f) * 1000) / 1000,
    format: (_v, f) => {
      const r = reuseOf(f.connections);
      return `${formatPercent(r.ratio)} (${formatInt(r.reused)} of ${formatInt(r.served)})`;
    },
    lowerBetter: false,
  },
  { id: 'twServer', label: 'TIME_WAIT peak, server side', source: 'kernel polls', value: (f) => f.kernel.timeWaitPeak.server, format: count, lowerBetter: true },
  { id: 'twClient', label: 'TIME_WAIT peak, client side', source: 'kernel polls', value: (f) => f.kernel.timeWaitPeak.client, format: count, lowerBetter: true },
  { id: 'resets', label: 'Connections reset (RST)', source: 'wrapped conns', value: (f) => f.connections.reset, format: count, lowerBetter: true },
  { id: 'retries', label: 'Silent retries', source: 'GotConn twice', value: (f) => f.requests.retried, format: count, lowerBetter: true },
  { id: 'errors', label: 'Errors', source: 'client', value: (f) => f.requests.errors, format: count, lowerBetter: true },
  { id: 'p50', label: 'Latency p50', source: 'client', value: (f) => f.latency.p50Ms, format: ms, lowerBetter: true, differs: ratioDiffers(LATENCY_RATIO, LATENCY_MIN_MS) },
  { id: 'p99', label: 'Latency p99', source: 'client', value: (f) => f.latency.p99Ms, format: ms, lowerBetter: true, differs: ratioDiffers(LATENCY_RATIO, LATENCY_MIN_MS) },
  {
    id: 'throughput',
    label: 'Throughput',
    source: 'requests / workload time',
    value: (f) => f.latency.requestsPerSec,
    format: (v) => `${v >= 100 ? formatInt(v) : v.toFixed(1)} req/s`,
    lowerBetter: false,
    differs: ratioDiffers(THROUGHPUT_RATIO, THROUGHPUT_MIN),
  },
];

export function compareFacts(a: RunFacts, b: RunFacts): CompareRow[] {
  return MEASURES.map((m) => {
    const va = m.value(a);
    const vb = m.value(b);
    const differs = m.differs ? m.differs(va, vb) : va !== vb;
    let better: Better = null;
    if (differs && !m.noBetter) better = va < vb === m.lowerBetter ? 'a' : 'b';
    return { id: m.id, label: m.label, source: m.source, a: va, b: vb, fa: m.format(va, a), fb: m.format(vb, b), differs, better };
  });
}
