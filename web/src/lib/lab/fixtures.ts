// Recorded server JSON shared by the Lab's unit tests (not part of the app).

import type { ExperimentResult, ExpUpdate, Lane, RequestLine, SpecJSON, Timeline } from '../../wire';

/** GET /api/presets' client-disable-keepalive, as the server sends it. */
export const CLIENT_DISABLE: SpecJSON = {
  preset: 'client-disable-keepalive',
  requests: 20,
  duration: '0s',
  interval: '50ms',
  rate: 0,
  concurrency: 1,
  method: 'GET',
  bodyBytes: 1024,
  observe: '2s',
  server: { keepAlives: true, idleTimeout: '0s', readTimeout: '0s', readHeaderTimeout: '0s', delay: '0s', framing: 'content-length', protocol: 'http1', restartAfter: 0 },
  client: {
    disableKeepAlives: true,
    body: 'read-close',
    maxIdleConnsPerHost: 0,
    maxConnsPerHost: 0,
    idleConnTimeout: '1m30s',
    protocol: 'http1',
    tcpKeepAlive: { enable: true, idle: '15s', interval: '15s', count: 9 },
  },
};

const STATES = ['ESTABLISHED', 'TIME_WAIT', 'LISTEN'];

/** A timeline run: rows of [t, serverTW, clientTW]. */
export function timeline(rows: [number, number, number][], seq0 = 1): Timeline {
  const col = (i: number, listen: number) => Object.fromEntries(STATES.map((s) => [s, rows.map((r) => (s === 'TIME_WAIT' ? r[i] : s === 'LISTEN' ? listen : 0))]));
  return { port: 4000, seq0, seq: seq0 + rows.length - 1, t: rows.map((r) => r[0]), server: col(1, 1), client: col(2, 0) };
}

export function lane(id: number, over: Partial<Lane> = {}): Lane {
  return { id, clientPort: 40000 + id, openedMs: id * 50, connectMs: 0.3, dialed: true, accepted: true, requests: 1, ...over };
}

export function line(seq: number, over: Partial<RequestLine> = {}): RequestLine {
  return { seq, atMs: seq * 50, worker: 1, conn: seq, clientPort: 40000 + seq, method: 'GET', proto: 'HTTP/1.1', connection: 'close', reused: false, wasIdle: false, attempts: 1, status: 200, totalMs: 0.7, ...over };
}

/** An ExperimentResult of client-disable-keepalive, running, with nothing measured yet. */
export function result(over: Partial<ExperimentResult> = {}): ExperimentResult {
  return {
    id: 'e1',
    preset: 'client-disable-keepalive',
    go: 'go1.26.8',
    port: 4000,
    status: 'running',
    spec: CLIENT_DISABLE,
    startedAt: '2026-11-21T13:50:12.8974883Z',
    startedAtMs: 1_000_000,
    progress: { phase: 'workload', elapsedMs: 4, workloadMs: 4, requestsDone: 0, requestsTarget: 10, durationMs: 0, observeMs: 2000 },
    requests: { total: 0, ok: 0, errors: 0, canceled: 0, reused: 0, wasIdle: 0, retried: 0, respClose: 0, bodyUnread: 0, serverSaw: {}, protos: {}, framing: {}, status: {} },
    connections: {
      opened: 0,
      dialed: 0,
      open: 0,
      reset: 0,
      closedFirst: { server: 0, client: 0, simultaneous: 0 },
      serverIdleClosed: 0,
      teardown: 0,
      unused: 0,
      carried: 0,
      maxRequestsPerConn: 0,
      peakOpen: 0,
      medianLifetimeMs: 0,
      reusedRequests: 0,
      servedRequests: 0,
      closeWaitMedianMs: 0,
      closeWaitMaxMs: 0,
      closeWaitOver: 0,
      leftInCloseWait: { server: 0, client: 0 },
      teardownTimeWait: { server: 0, client: 0 },
    },
    kernel: {
      source: 'netlink',
      polls: 0,
      timeWaitPeak: { server: 0, client: 0 },
      establishedPeak: { server: 0, client: 0 },
      closeWaitPeak: { server: 0, client: 0 },
      keepalivePeak: { server: 0, client: 0 },
      keepaliveMinMs: { server: 0, client: 0 },
      timeWaitEnd: { server: 0, client: 0 },
      drainedMs: -1,
      last: { server: {}, client: {} },
    },
    latency: { p50Ms: 0, p99Ms: 0, meanMs: 0, maxMs: 0, requestsPerSec: 0 },
    findings: [],
    lanes: [],
    lanesTotal: 0,
    log: [],
    logTotal: 0,
    timeline: timeline([]),
    ...over,
  };
}

/** An exp-update carrying the given parts over the result's counters. */
export function update(seq: number, over: Partial<ExpUpdate> = {}): ExpUpdate {
  const r = result();
  return {
    type: 'exp-update',
    id: 'e1',
    seq,
    at: r.startedAtMs + seq * 250,
    status: 'running',
    progress: r.progress,
    requests: r.requests,
    connections: r.connections,
    kernel: r.kernel,
    latency: r.latency,
    findings: [],
    lanes: [],
    log: [],
    timeline: timeline([]),
    ...over,
  };
}
