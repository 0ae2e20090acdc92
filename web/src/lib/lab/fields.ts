// Every knob of an experiment spec, mirrored from internal/experiment
// (fields.go for keys and order, limits.go for limits, spec.go for the
// enumerations), with what the form needs to show it: group, label, help.
// A spec is held flat, keyed by the `-set` key ("server.idleTimeout"), with
// typed values: numbers for ints and floats, nanoseconds for durations,
// booleans, strings for enumerations. Pure, no DOM.

import type { SpecJSON } from '../../wire';
import { formatDuration, humanDuration, NS_PER_S, parseDuration } from './duration';

export type FieldKind = 'int' | 'float' | 'duration' | 'bool' | 'enum';
export type FieldGroup = 'workload' | 'server' | 'client';
export type FieldValue = number | boolean | string;

export interface FieldDef {
  /** The JSON / `-set` key, dotted for nested fields. */
  key: string;
  kind: FieldKind;
  group: FieldGroup;
  label: string;
  /** One line under the input. */
  help: string;
  /** int / float: inclusive bounds; duration: max in ns (min is 0). */
  min?: number;
  max?: number;
  options?: readonly { value: string; label: string }[];
  /** Unit shown after a numeric input. */
  unit?: string;
}

/** Limits of internal/experiment/limits.go. */
export const LIMITS = {
  maxDurationNs: 600 * NS_PER_S, // MaxDuration
  maxObserveNs: 600 * NS_PER_S, // MaxObserve
  maxConcurrency: 1000,
  maxRate: 20000,
  maxBodyBytes: 8 << 20,
  maxRequests: 10_000_000,
  maxTimeoutNs: 600 * NS_PER_S,
  maxDelayNs: 60 * NS_PER_S,
  maxPool: 100_000,
  maxKeepAliveNs: 7200 * NS_PER_S,
  maxKeepAliveCount: 127,
  maxRunning: 4,
} as const;

/** The Lab's observe default (the CLI's is 2 s): long enough to see TIME_WAIT (60 s) drain. */
export const UI_OBSERVE_NS = 65 * NS_PER_S;

const L = LIMITS;

/** Every field of a spec but "preset", in the form's order within each group. */
export const FIELDS: readonly FieldDef[] = [
  { key: 'requests', kind: 'int', group: 'workload', label: 'Requests', help: '0: bound by duration, or until you press Stop', min: 0, max: L.maxRequests },
  { key: 'duration', kind: 'duration', group: 'workload', label: 'Duration', help: 'workload time bound (0: none), Go duration', max: L.maxDurationNs },
  { key: 'interval', kind: 'duration', group: 'workload', label: 'Interval', help: "each worker's pause between requests", max: L.maxTimeoutNs },
  { key: 'rate', kind: 'float', group: 'workload', label: 'Rate', help: 'target requests/s, all workers (replaces interval)', min: 0, max: L.maxRate, unit: '/s' },
  { key: 'concurrency', kind: 'int', group: 'workload', label: 'Concurrency', help: 'client workers', min: 1, max: L.maxConcurrency },
  { key: 'observe', kind: 'duration', group: 'workload', label: 'Observe', help: 'keep watching after the workload ends', max: L.maxObserveNs },

  { key: 'server.keepAlives', kind: 'bool', group: 'server', label: 'Keep-alives', help: 'SetKeepAlivesEnabled' },
  { key: 'server.idleTimeout', kind: 'duration', group: 'server', label: 'IdleTimeout', help: '0: none (falls back to ReadTimeout)', max: L.maxTimeoutNs },
  { key: 'server.readTimeout', kind: 'duration', group: 'server', label: 'ReadTimeout', help: '0: none', max: L.maxTimeoutNs },
  { key: 'server.readHeaderTimeout', kind: 'duration', group: 'server', label: 'ReadHeaderTimeout', help: '0: none', max: L.maxTimeoutNs },
  { key: 'server.delay', kind: 'duration', group: 'server', label: 'Handler delay', help: 'wait before answering', max: L.maxDelayNs },
  { key: 'bodyBytes', kind: 'int', group: 'server', label: 'Response body', help: 'bytes per response', min: 0, max: L.maxBodyBytes, unit: 'B' },
  {
    key: 'server.framing',
    kind: 'enum',
    group: 'server',
    label: 'Framing',
    help: 'how the response body is delimited',
    options: [
      { value: 'content-length', label: 'Content-Length' },
      { value: 'chunked', label: 'chunked' },
    ],
  },
  {
    key: 'server.protocol',
    kind: 'enum',
    group: 'server',
    label: 'Protocol',
    help: 'what the server speaks',
    options: [
      { value: 'http1', label: 'HTTP/1.1' },
      { value: 'h2c', label: 'HTTP/1.1 + h2c' },
    ],
  },
  { key: 'server.restartAfter', kind: 'int', group: 'server', label: 'Restart after', help: 'requests before a restart (0: never)', min: 0, max: L.maxRequests },

  {
    key: 'method',
    kind: 'enum',
    group: 'client',
    label: 'Method',
    help: 'POST sends a small body and is never retried',
    options: [
      { value: 'GET', label: 'GET' },
      { value: 'POST', label: 'POST' },
    ],
  },
  { key: 'client.disableKeepAlives', kind: 'bool', group: 'client', label: 'DisableKeepAlives', help: 'Transport: a new connection per request' },
  {
    key: 'client.body',
    kind: 'enum',
    group: 'client',
    label: 'Response body',
    help: 'what the client does with each body',
    options: [
      { value: 'read-close', label: 'read to EOF, then Close' },
      { value: 'close-unread', label: 'Close without reading' },
      { value: 'read-no-close', label: 'read to EOF, never Close' },
      { value: 'partial-close', label: 'read part, then Close' },
    ],
  },
  { key: 'client.maxIdleConnsPerHost', kind: 'int', group: 'client', label: 'MaxIdleConnsPerHost', help: "0: Go's default (2)", min: 0, max: L.maxPool },
  { key: 'client.maxConnsPerHost', kind: 'int', group: 'client', label: 'MaxConnsPerHost', help: '0: no limit', min: 0, max: L.maxPool },
  { key: 'client.idleConnTimeout', kind: 'duration', group: 'client', label: 'IdleConnTimeout', help: '0: none', max: L.maxTimeoutNs },
  {
    key: 'client.protocol',
    kind: 'enum',
    group: 'client',
    label: 'Protocol',
    help: 'Go Transport, or a raw HTTP/1.0 client',
    options: [
      { value: 'http1', label: 'HTTP/1.1 (Transport)' },
      { value: 'h2c', label: 'h2c (Transport)' },
      { value: 'http10', label: 'HTTP/1.0 raw' },
      { value: 'http10-keepalive', label: 'HTTP/1.0 + keep-alive' },
    ],
  },
  { key: 'client.tcpKeepAlive.enable', kind: 'bool', group: 'client', label: 'TCP keepalive', help: 'kernel probes on idle connections' },
  { key: 'client.tcpKeepAlive.idle', kind: 'duration', group: 'client', label: 'Keepalive idle', help: "0: Go's default (15s)", max: L.maxKeepAliveNs },
  { key: 'client.tcpKeepAlive.interval', kind: 'duration', group: 'client', label: 'Keepalive interval', help: "0: Go's default (15s)", max: L.maxKeepAliveNs },
  { key: 'client.tcpKeepAlive.count', kind: 'int', group: 'client', label: 'Keepalive count', help: "probes; 0: Go's default (9)", min: 0, max: L.maxKeepAliveCount },
];

export const FIELD_KEYS: readonly string[] = FIELDS.map((f) => f.key);

const BY_KEY = new Map(FIELDS.map((f) => [f.key, f]));

export function fieldDef(key: string): FieldDef | undefined {
  return BY_KEY.get(key);
}

export const GROUPS: readonly { id: FieldGroup; label: string }[] = [
  { id: 'workload', label: 'Workload' },
  { id: 'server', label: 'Server' },
  { id: 'client', label: 'Client' },
];

/** A spec, flat: every key of FIELDS with its typed value. */
export type FlatSpec = Record<string, FieldValue>;

function get(o: unknown, path: string[]): unknown {
  let v: unknown = o;
  for (const p of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
  return v;
}

/** A field's value from spec JSON, typed; a zero value when missing or malformed. */
function readValue(def: FieldDef, raw: unknown): FieldValue {
  switch (def.kind) {
    case 'int':
    case 'float':
      return typeof raw === 'number' && Number.isFinite(raw) ? raw : 0;
    case 'duration':
      return typeof raw === 'string' ? (parseDuration(raw) ?? 0) : 0;
    case 'bool':
      return raw === true;
    case 'enum':
      return typeof raw === 'string' ? raw : (def.options?.[0].value ?? '');
  }
}

/** Spec JSON (GET /api/presets, ExperimentResult.spec) -> flat spec. */
export function flatten(spec: SpecJSON): FlatSpec {
  const out: FlatSpec = {};
  for (const f of FIELDS) out[f.key] = readValue(f, get(spec, f.key.split('.')));
  return out;
}

/** Flat spec -> the JSON POST /api/experiments takes (durations as Go strings). */
export function nest(flat: FlatSpec, preset: string): SpecJSON {
  const out: Record<string, unknown> = { preset };
  for (const f of FIELDS) {
    const path = f.key.split('.');
    let o = out;
    for (const p of path.slice(0, -1)) o = (o[p] ??= {}) as Record<string, unknown>;
    const v = flat[f.key];
    o[path[path.length - 1]] = f.kind === 'duration' ? formatDuration(Number(v)) : v;
  }
  return out as unknown as SpecJSON;
}

/** A value as `-set` and the URL write it: "1m30s", "true", "50". */
export function formatValue(def: FieldDef, v: FieldValue): string {
  if (def.kind === 'duration') return formatDuration(Number(v));
  return String(v);
}

/** The range error Go would give for a typed value, or null. */
export function checkValue(def: FieldDef, v: FieldValue): string | null {
  switch (def.kind) {
    case 'int':
    case 'float': {
      const n = Number(v);
      const min = def.min ?? 0;
      const max = def.max ?? Infinity;
      if (Number.isNaN(n) || n < min || n > max) return `must be between ${min} and ${max}`;
      return null;
    }
    case 'duration': {
      const n = Number(v);
      if (n < 0) return 'must not be negative';
      if (def.max !== undefined && n > def.max) return `must be at most ${formatDuration(def.max)}`;
      return null;
    }
    case 'enum':
      if (!def.options?.some((o) => o.value === v)) return `must be one of ${def.options?.map((o) => o.value).join(', ')}`;
      return null;
    case 'bool':
      return null;
  }
}

export type Parsed = { ok: true; value: FieldValue } | { ok: false; error: string };

/** Parses what the user typed (or a URL value) into a typed value, checked like Go's Set. */
export function parseValue(def: FieldDef, text: string): Parsed {
  const t = text.trim();
  let v: FieldValue;
  switch (def.kind) {
    case 'int':
      if (!/^[+-]?\d+$/.test(t)) return { ok: false, error: 'want a whole number' };
      v = Number(t);
      break;
    case 'float':
      if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return { ok: false, error: 'want a number' };
      v = Number(t);
      break;
    case 'duration': {
      const ns = parseDuration(t);
      if (ns === null) return { ok: false, error: 'want a Go duration like "1s", "250ms" or "1m30s"' };
      v = ns;
      break;
    }
    case 'bool':
      if (/^(1|t|true)$/i.test(t)) v = true;
      else if (/^(0|f|false)$/i.test(t)) v = false;
      else return { ok: false, error: 'want true or false' };
      break;
    case 'enum':
      v = t;
      break;
  }
  const err = checkValue(def, v);
  return err ? { ok: false, error: err } : { ok: true, value: v };
}

/**
 * Sets one field, as Go's Set does: a positive rate clears interval and a
 * positive interval clears rate (the last one wins). Returns a new spec.
 */
export function setField(flat: FlatSpec, key: string, v: FieldValue): FlatSpec {
  const out = { ...flat, [key]: v };
  if (key === 'rate' && Number(v) > 0) out.interval = 0;
  if (key === 'interval' && Number(v) > 0) out.rate = 0;
  return out;
}

export function sameValue(a: FieldValue | undefined, b: FieldValue | undefined): boolean {
  return a === b;
}

/** Keys whose values differ between two flat specs, in field order. */
export function changedKeys(flat: FlatSpec, base: FlatSpec): string[] {
  return FIELD_KEYS.filter((k) => !sameValue(flat[k], base[k]));
}

/** Errors that block a run, by key (what the server would answer 400 for). */
export function validate(flat: FlatSpec): Record<string, string> {
  const errs: Record<string, string> = {};
  for (const f of FIELDS) {
    const e = checkValue(f, flat[f.key]);
    if (e) errs[f.key] = e;
  }
  if (!errs.rate && Number(flat.rate) > 0 && Number(flat.interval) > 0) errs.rate = 'set either rate or interval, not both';
  return errs;
}

/** Advice that does not block a run, by key. */
export function hints(flat: FlatSpec): Record<string, string> {
  const h: Record<string, string> = {};
  const requests = Number(flat.requests);
  const duration = Number(flat.duration);
  const observe = Number(flat.observe);
  if (requests === 0 && duration === 0) h.requests = 'runs until you press Stop (at most 10 min)';
  if (observe < 61 * NS_PER_S) h.observe = `TIME_WAIT lasts 60 s: with ${humanDuration(observe)} you will not see it drain`;
  if (Number(flat.concurrency) > 1 && Number(flat.interval) === 0 && Number(flat.rate) === 0 && requests === 0)
    h.concurrency = 'no interval and no rate: every worker sends as fast as it can';
  if (flat['client.protocol'] === 'h2c' && flat['server.protocol'] !== 'h2c') h['client.protocol'] = 'the server does not speak h2c: set server protocol to h2c';
  if (!flat['client.tcpKeepAlive.enable']) {
    for (const k of ['client.tcpKeepAlive.idle', 'client.tcpKeepAlive.interval', 'client.tcpKeepAlive.count'])
      if (Number(flat[k]) !== 0) h[k] = 'ignored: TCP keepalive is off';
  }
  return h;
}

/** The workload keys: shared by both sides of a comparison. */
export const WORKLOAD_KEYS: readonly string[] = FIELDS.filter((f) => f.group === 'workload').map((f) => f.key);

/** A preset's spec as the Lab starts from it: the preset with the UI's observe default. */
export function uiBase(spec: SpecJSON): FlatSpec {
  return { ...flatten(spec), observe: UI_OBSERVE_NS };
}
