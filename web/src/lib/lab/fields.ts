// Every knob of an experiment spec as the form shows it. The server is the
// one source of each field's key, kind, default, limits, enumeration and
// unit (GET /api/schema, built from internal/experiment); this module adds
// only what a person reads (group, label, help, option labels) and builds
// the form's fields from the two (Fields). A spec is held flat, keyed by
// the `-set` key ("server.idleTimeout"), with typed values: numbers for
// ints and floats, nanoseconds for durations, booleans, strings for
// enumerations. Pure, no DOM.

import type { SpecField, SpecJSON, SpecSchema } from '../../wire';
import { formatDuration, humanDuration, NS_PER_S, parseDuration } from './duration';

export type FieldKind = SpecField['kind'];
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
  /** int / float: inclusive bounds; duration: bounds in ns. From the schema. */
  min?: number;
  max?: number;
  options?: readonly { value: string; label: string }[];
  /** Unit shown after a numeric input. From the schema. */
  unit?: string;
  /** experiment.Default()'s value, typed. From the schema. */
  default: FieldValue;
}

/** What the form adds to a schema field. */
interface FieldUI {
  group: FieldGroup;
  label: string;
  help: string;
  /** Labels of an enum's values (a value without one shows as itself). */
  options?: Record<string, string>;
}

/** The Lab's observe default (the CLI's is 2 s): long enough to see TIME_WAIT (60 s) drain. */
export const UI_OBSERVE_NS = 65 * NS_PER_S;

/**
 * Labels, help and grouping of every schema field, in the form's order
 * within each group (also the order of a link's parameters). The Go mirror
 * test (internal/wire) checks this table names exactly the schema's keys.
 */
const UI: Record<string, FieldUI> = {
  requests: { group: 'workload', label: 'Requests', help: '0: bound by duration, or until you press Stop' },
  duration: { group: 'workload', label: 'Duration', help: 'workload time bound (0: none), Go duration' },
  interval: { group: 'workload', label: 'Interval', help: "each worker's pause between requests" },
  rate: { group: 'workload', label: 'Rate', help: 'target requests/s, all workers (replaces interval)' },
  concurrency: { group: 'workload', label: 'Concurrency', help: 'client workers' },
  observe: { group: 'workload', label: 'Observe', help: 'keep watching after the workload ends' },

  'server.keepAlives': { group: 'server', label: 'Keep-alives', help: 'SetKeepAlivesEnabled' },
  'server.idleTimeout': { group: 'server', label: 'IdleTimeout', help: '0: none (falls back to ReadTimeout)' },
  'server.readTimeout': { group: 'server', label: 'ReadTimeout', help: '0: none' },
  'server.readHeaderTimeout': { group: 'server', label: 'ReadHeaderTimeout', help: '0: none' },
  'server.delay': { group: 'server', label: 'Handler delay', help: 'wait before answering' },
  bodyBytes: { group: 'server', label: 'Response body', help: 'bytes per response' },
  'server.framing': { group: 'server', label: 'Framing', help: 'how the response body is delimited', options: { 'content-length': 'Content-Length', chunked: 'chunked' } },
  'server.protocol': { group: 'server', label: 'Protocol', help: 'what the server speaks', options: { http1: 'HTTP/1.1', h2c: 'HTTP/1.1 + h2c' } },
  'server.restartAfter': { group: 'server', label: 'Restart after', help: 'requests before a restart (0: never)' },

  method: { group: 'client', label: 'Method', help: 'POST sends a small body and is never retried', options: { GET: 'GET', POST: 'POST' } },
  'client.disableKeepAlives': { group: 'client', label: 'DisableKeepAlives', help: 'Transport: a new connection per request' },
  'client.body': {
    group: 'client',
    label: 'Response body',
    help: 'what the client does with each body',
    options: {
      'read-close': 'read to EOF, then Close',
      'close-unread': 'Close without reading',
      'read-no-close': 'read to EOF, never Close',
      'partial-close': 'read part, then Close',
    },
  },
  'client.maxIdleConnsPerHost': { group: 'client', label: 'MaxIdleConnsPerHost', help: "0: Go's default (2)" },
  'client.maxConnsPerHost': { group: 'client', label: 'MaxConnsPerHost', help: '0: no limit' },
  'client.idleConnTimeout': { group: 'client', label: 'IdleConnTimeout', help: '0: none' },
  'client.protocol': {
    group: 'client',
    label: 'Protocol',
    help: 'Go Transport, or a raw HTTP/1.0 client',
    options: { http1: 'HTTP/1.1 (Transport)', h2c: 'h2c (Transport)', http10: 'HTTP/1.0 raw', 'http10-keepalive': 'HTTP/1.0 + keep-alive' },
  },
  'client.tcpKeepAlive.enable': { group: 'client', label: 'TCP keepalive', help: 'kernel probes on idle connections' },
  'client.tcpKeepAlive.idle': { group: 'client', label: 'Keepalive idle', help: "0: Go's default (15s)" },
  'client.tcpKeepAlive.interval': { group: 'client', label: 'Keepalive interval', help: "0: Go's default (15s)" },
  'client.tcpKeepAlive.count': { group: 'client', label: 'Keepalive count', help: "probes; 0: Go's default (9)" },
};

/** A schema bound or default, typed as a FlatSpec holds it (durations in ns). */
function typed(kind: FieldKind, v: unknown): FieldValue | undefined {
  if (v === undefined || v === null) return undefined;
  if (kind === 'duration') return typeof v === 'string' ? (parseDuration(v) ?? undefined) : undefined;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return v;
  return undefined;
}

/** A schema field with what the form adds to it. */
function defOf(f: SpecField): FieldDef {
  const ui: FieldUI = UI[f.key] ?? { group: f.key.startsWith('server.') ? 'server' : f.key.startsWith('client.') ? 'client' : 'workload', label: f.key, help: '' };
  const def: FieldDef = { key: f.key, kind: f.kind, group: ui.group, label: ui.label, help: ui.help, default: typed(f.kind, f.default) ?? '' };
  const min = typed(f.kind, f.min);
  const max = typed(f.kind, f.max);
  if (typeof min === 'number') def.min = min;
  if (typeof max === 'number') def.max = max;
  if (f.enum) def.options = f.enum.map((value) => ({ value, label: ui.options?.[value] ?? value }));
  if (f.unit) def.unit = f.unit;
  return def;
}

/** A spec, flat: every field key with its typed value. */
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

/**
 * The form's fields: the server's schema, ordered and labelled by the UI
 * table (schema fields the table lacks come last, labelled by their key).
 */
export class Fields {
  readonly defs: readonly FieldDef[];
  readonly keys: readonly string[];
  /** The workload keys: shared by both sides of a comparison. */
  readonly workloadKeys: readonly string[];
  readonly #byKey: Map<string, FieldDef>;

  constructor(schema: SpecSchema) {
    const order = Object.keys(UI);
    const rank = (k: string) => (order.includes(k) ? order.indexOf(k) : order.length);
    const defs = schema.fields.map(defOf);
    defs.sort((a, b) => rank(a.key) - rank(b.key));
    this.defs = defs;
    this.keys = defs.map((f) => f.key);
    this.workloadKeys = defs.filter((f) => f.group === 'workload').map((f) => f.key);
    this.#byKey = new Map(defs.map((f) => [f.key, f]));
  }

  def(key: string): FieldDef | undefined {
    return this.#byKey.get(key);
  }

  /** The fields of one group, in form order. */
  inGroup(group: FieldGroup): FieldDef[] {
    return this.defs.filter((f) => f.group === group);
  }

  /** Spec JSON (GET /api/presets, ExperimentResult.spec) -> flat spec. */
  flatten(spec: SpecJSON): FlatSpec {
    const out: FlatSpec = {};
    for (const f of this.defs) out[f.key] = readValue(f, get(spec, f.key.split('.')));
    return out;
  }

  /** Flat spec -> the JSON POST /api/experiments takes (durations as Go strings). */
  nest(flat: FlatSpec, preset: string): SpecJSON {
    const out: Record<string, unknown> = { preset };
    for (const f of this.defs) {
      const path = f.key.split('.');
      let o = out;
      for (const p of path.slice(0, -1)) o = (o[p] ??= {}) as Record<string, unknown>;
      const v = flat[f.key];
      o[path[path.length - 1]] = f.kind === 'duration' ? formatDuration(Number(v)) : v;
    }
    return out as unknown as SpecJSON;
  }

  /** Keys whose values differ between two flat specs, in field order. */
  changedKeys(flat: FlatSpec, base: FlatSpec): string[] {
    return this.keys.filter((k) => !sameValue(flat[k], base[k]));
  }

  /** Errors that block a run, by key (what the server would answer 400 for). */
  validate(flat: FlatSpec): Record<string, string> {
    const errs: Record<string, string> = {};
    for (const f of this.defs) {
      const e = checkValue(f, flat[f.key]);
      if (e) errs[f.key] = e;
    }
    if (!errs.rate && Number(flat.rate) > 0 && Number(flat.interval) > 0) errs.rate = 'set either rate or interval, not both';
    return errs;
  }

  /** A preset's spec as the Lab starts from it: the preset with the UI's observe default. */
  uiBase(spec: SpecJSON): FlatSpec {
    return { ...this.flatten(spec), observe: UI_OBSERVE_NS };
  }
}

export const GROUPS: readonly { id: FieldGroup; label: string }[] = [
  { id: 'workload', label: 'Workload' },
  { id: 'server', label: 'Server' },
  { id: 'client', label: 'Client' },
];

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

/** Advice that does not block a run, by key. */
export function hints(flat: FlatSpec): Record<string, string> {
  const h: Record<string, string> = {};
  const requests = Number(flat.requests);
  const duration = Number(flat.duration);
  const observe = Number(flat.observe);
  if (requests === 0 && duration === 0) h.requests = 'runs until you press Stop (at most 10 min)';
  if (observe < 61 * NS_PER_S) h.observe = `TIME_WAIT lasts 60 s: with ${humanDuration(observe)} you will not see it drain`;
  if (Number(flat.concurrency) > 1 && Number(flat.interval) === 0 && Number(flat.rate) === 0 && requests === 0) h.concurrency = 'no interval and no rate: every worker sends as fast as it can';
  if (flat['client.protocol'] === 'h2c' && flat['server.protocol'] !== 'h2c') h['client.protocol'] = 'the server does not speak h2c: set server protocol to h2c';
  if (!flat['client.tcpKeepAlive.enable']) {
    for (const k of ['client.tcpKeepAlive.idle', 'client.tcpKeepAlive.interval', 'client.tcpKeepAlive.count']) if (Number(flat[k]) !== 0) h[k] = 'ignored: TCP keepalive is off';
  }
  return h;
}
