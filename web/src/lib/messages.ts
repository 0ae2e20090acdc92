// Decoding of websocket messages: JSON in, typed wire messages out, with the
// nulls Go writes for nil slices and maps turned into empty values so the
// rest of the app never checks for them.

import type { Counts, ExperimentResult, ExpRequests, ExpSnapshot, ExpUpdate, ServerMessage, Snapshot, Tick, Timeline } from '../wire';

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
      };
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
