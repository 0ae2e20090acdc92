// Decoding of websocket messages: JSON in, typed wire messages out, with the
// nulls Go writes for nil slices and maps turned into empty values so the
// rest of the app never checks for them.

import type {
  Counts,
  ExperimentResult,
  ExpRequests,
  ExpSnapshot,
  ExpUpdate,
  Flow,
  FlowConn,
  FlowConns,
  FlowCounts,
  PortVerdict,
  ServerMessage,
  Side,
  Snapshot,
  Tick,
  Timeline,
  TransitionEvent,
  Transitions,
} from '../wire';

type Json = Record<string, unknown>;

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function normCounts(c: unknown): Counts {
  const o = isObj(c) ? c : {};
  return {
    server: isObj(o.server) ? (o.server as Record<string, number>) : {},
    client: isObj(o.client) ? (o.client as Record<string, number>) : {},
  };
}

export function normTimeline(t: unknown, port: number): Timeline {
  const o = isObj(t) ? t : {};
  return {
    port: typeof o.port === 'number' ? o.port : port,
    seq0: typeof o.seq0 === 'number' ? o.seq0 : 1,
    seq: typeof o.seq === 'number' ? o.seq : 0,
    t: Array.isArray(o.t) ? (o.t as number[]) : [],
    server: isObj(o.server) ? (o.server as Record<string, number[]>) : {},
    client: isObj(o.client) ? (o.client as Record<string, number[]>) : {},
  };
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

function numOrNull(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function pair(v: unknown): { server: number; client: number } {
  const o = isObj(v) ? v : {};
  return { server: num(o.server), client: num(o.client) };
}

function flowCounts(v: unknown): FlowCounts {
  const o = isObj(v) ? v : {};
  const cf = isObj(o.closedFirst) ? o.closedFirst : {};
  return {
    opened: num(o.opened),
    openedBy: pair(o.openedBy),
    closedFirst: { server: num(cf.server), client: num(cf.client), simultaneous: num(cf.simultaneous) },
    reset: num(o.reset),
    timeWait: pair(o.timeWait),
  };
}

/**
 * A port's flow figures with every field present (0 for a missing count,
 * null kept where the server means "not measured"); undefined when absent
 * or not a flow at all.
 */
export function normFlow(v: unknown): Flow | undefined {
  if (!isObj(v) || (v.source !== 'ebpf' && v.source !== 'polls')) return undefined;
  const w = isObj(v.last60s) ? v.last60s : {};
  const lt = isObj(v.lifetimeMs) ? v.lifetimeMs : {};
  const fc = isObj(v.forecast) ? v.forecast : {};
  return {
    source: v.source,
    // Polls count lower bounds whatever the flag says: never show them as exact.
    lowerBound: v.lowerBound === true || v.source === 'polls',
    ...(typeof v.missing === 'string' && v.missing ? { missing: v.missing } : {}),
    since: typeof v.since === 'string' ? v.since : '',
    total: flowCounts(v.total),
    last60s: { ...flowCounts(w), perSec: num(w.perSec), windowSec: num(w.windowSec) },
    lifetimeMs: { p50: numOrNull(lt.p50), p99: numOrNull(lt.p99), n: num(lt.n) },
    forecast: { timeWaitSteady: pair(fc.timeWaitSteady), ephemeralExhaustSec: numOrNull(fc.ephemeralExhaustSec) },
    ...(num(v.untracked) > 0 ? { untracked: num(v.untracked) } : {}),
    ...(num(v.lostEvents) > 0 ? { lostEvents: num(v.lostEvents) } : {}),
  };
}

function isSide(v: unknown): v is Side {
  return v === 'server' || v === 'client';
}

/** The well-formed events of a transitions message (a malformed one is dropped, not the batch). */
function normEvents(v: unknown): TransitionEvent[] {
  const out: TransitionEvent[] = [];
  if (!Array.isArray(v)) return out;
  for (const e of v) {
    if (!isObj(e) || typeof e.at !== 'number' || !isSide(e.side) || typeof e.local !== 'string' || typeof e.remote !== 'string') continue;
    const ev: TransitionEvent = { at: e.at, side: e.side, local: e.local, remote: e.remote, from: String(e.from ?? ''), to: String(e.to ?? '') };
    if (e.reset === 'sent' || e.reset === 'received') ev.reset = e.reset;
    if (typeof e.pid === 'number' && e.pid > 0) ev.pid = e.pid;
    if (typeof e.process === 'string' && e.process) ev.process = e.process;
    out.push(ev);
  }
  return out;
}

/** Parses one server message; null for anything malformed or of an unknown type. */
export function parseServerMessage(text: string): ServerMessage | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObj(v) || typeof v.type !== 'string') return null;
  switch (v.type) {
    case 'hello':
      return {
        type: 'hello',
        source: String(v.source ?? ''),
        version: String(v.version ?? ''),
        go: String(v.go ?? ''),
        intervalMs: typeof v.intervalMs === 'number' ? v.intervalMs : 0,
      };
    case 'snapshot': {
      if (typeof v.port !== 'number' || typeof v.seq !== 'number') return null;
      const s = v as unknown as Snapshot;
      const sockets = Array.isArray(v.sockets) ? s.sockets : [];
      return {
        ...s,
        at: typeof v.at === 'number' ? v.at : 0,
        counts: normCounts(v.counts),
        sockets,
        socketsTotal: typeof v.socketsTotal === 'number' ? v.socketsTotal : sockets.length,
        timeline: normTimeline(v.timeline, s.port),
        flow: normFlow(v.flow),
      };
    }
    case 'tick': {
      if (typeof v.port !== 'number' || typeof v.seq !== 'number') return null;
      const t = v as unknown as Tick;
      return {
        ...t,
        at: typeof v.at === 'number' ? v.at : 0,
        counts: normCounts(v.counts),
        changes: Array.isArray(v.changes) ? t.changes : [],
        truncated: v.truncated === true,
        flow: normFlow(v.flow),
      };
    }
    case 'transitions': {
      if (typeof v.port !== 'number') return null;
      const m: Transitions = { type: 'transitions', port: v.port, events: normEvents(v.events) };
      if (num(v.dropped) > 0) m.dropped = num(v.dropped);
      const flow = normFlow(v.flow);
      if (flow) m.flow = flow;
      return m;
    }
    case 'ports':
      return {
        type: 'ports',
        ports: Array.isArray(v.ports)
          ? (v.ports as Json[]).filter(isObj).map((p) => ({
              port: Number(p.port),
              source: String(p.source ?? ''),
              at: String(p.at ?? ''),
              counts: normCounts(p.counts),
              ...(typeof p.experiment === 'string' && p.experiment ? { experiment: p.experiment } : {}),
            }))
          : [],
      };
    case 'exp-snapshot': {
      if (typeof v.id !== 'string' || typeof v.seq !== 'number' || !isObj(v.result)) return null;
      return { type: 'exp-snapshot', id: v.id, seq: v.seq, result: normResult(v.result) } satisfies ExpSnapshot;
    }
    case 'exp-update': {
      if (typeof v.id !== 'string' || typeof v.seq !== 'number') return null;
      const u = v as unknown as ExpUpdate;
      return {
        ...u,
        at: typeof v.at === 'number' ? v.at : 0,
        requests: normRequests(v.requests),
        kernel: { ...u.kernel, last: normCounts(isObj(v.kernel) ? v.kernel.last : undefined) },
        findings: normFindings(v.findings),
        answer: str(v.answer),
        lanes: arr(v.lanes),
        log: arr(v.log),
        timeline: normTimeline(v.timeline, 0),
      } satisfies ExpUpdate;
    }
    case 'error':
      if (!isObj(v.error)) return null;
      return {
        type: 'error',
        error: {
          code: String(v.error.code ?? ''),
          message: String(v.error.message ?? ''),
          ...(typeof v.error.field === 'string' ? { field: v.error.field } : {}),
        },
      };
  }
  return null;
}

function arr<T>(v: unknown): T[] {
  return Array.isArray(v) ? (v as T[]) : [];
}

/** A string, or undefined for anything else (an optional text field). */
function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function rec(v: unknown): Record<string, number> {
  return isObj(v) ? (v as Record<string, number>) : {};
}

function normRequests(r: unknown): ExpRequests {
  const o = (isObj(r) ? r : {}) as unknown as ExpRequests;
  return { ...o, serverSaw: rec(o.serverSaw), protos: rec(o.protos), framing: rec(o.framing), status: rec(o.status) };
}

function normFindings(f: unknown): ExperimentResult['findings'] {
  return arr<ExperimentResult['findings'][number]>(f).map((x) => ({ ...x, evidence: arr<string>(x.evidence) }));
}

/** GET .../verdict with Go's nil slices made empty. */
export function normVerdict(v: unknown, port: number): PortVerdict {
  const o = isObj(v) ? v : {};
  return { port: typeof o.port === 'number' ? o.port : port, findings: normFindings(o.findings) };
}

function isCloser(v: unknown): v is FlowConn['closedFirst'] {
  return v === '' || v === 'server' || v === 'client' || v === 'simultaneous';
}

/** GET .../connections with Go's nils made empty and malformed entries dropped. */
export function normConns(v: unknown, port: number): FlowConns {
  const o = isObj(v) ? v : {};
  const out: FlowConn[] = [];
  for (const c of arr<unknown>(o.connections)) {
    if (!isObj(c) || typeof c.client !== 'string' || typeof c.server !== 'string' || typeof c.endedMs !== 'number') continue;
    out.push({
      client: c.client,
      server: c.server,
      openedMs: numOrNull(c.openedMs),
      endedMs: c.endedMs,
      closedFirst: isCloser(c.closedFirst) ? c.closedFirst : '',
      reset: c.reset === true,
      here: arr<unknown>(c.here).filter(isSide),
    });
  }
  return { port: typeof o.port === 'number' ? o.port : port, source: o.source === 'ebpf' ? 'ebpf' : 'polls', connections: out };
}

/** An ExperimentResult (HTTP or exp-snapshot) with Go's nil slices and maps made empty. */
export function normResult(v: unknown): ExperimentResult {
  const o = (isObj(v) ? v : {}) as Json;
  const r = o as unknown as ExperimentResult;
  return {
    ...r,
    requests: normRequests(o.requests),
    kernel: { ...r.kernel, last: normCounts(isObj(o.kernel) ? o.kernel.last : undefined) },
    findings: normFindings(o.findings),
    answer: str(o.answer),
    lanes: arr(o.lanes),
    log: arr(o.log),
    timeline: normTimeline(o.timeline, typeof o.port === 'number' ? o.port : 0),
  };
}
