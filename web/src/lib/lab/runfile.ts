// Run files (wire.RunFile, internal/wire/run.go): the one document a
// finished run is downloaded as, uploaded from and saved in. Building one
// from a result (so a replay can be downloaded again), its file name, and
// reading one from untrusted bytes: size, JSON, format, version, shape,
// each failure with a sentence a user can act on. Pure, no DOM.

import type { ExperimentResult, ExpStatus, RunFile } from '../../wire';
import { normResult } from '../messages';

/** wire.RunFileFormat. */
export const RUN_FILE_FORMAT = 'connlab-run';
/** wire.RunFileVersion: the newest version this page reads. */
export const RUN_FILE_VERSION = 1;
/** Largest file the page reads: a long run (1,000 lanes, a 10-minute timeline) is a few MB. */
export const RUN_FILE_MAX_BYTES = 32 << 20;

const STATUSES: readonly ExpStatus[] = ['running', 'completed', 'stopped', 'failed'];
/** The progress figures the progress panel draws. */
const PROGRESS_NUMBERS = ['elapsedMs', 'workloadMs', 'requestsDone', 'requestsTarget', 'durationMs', 'observeMs'] as const;
/** The figures the Lab's panels read of each part (the rest may be absent: shown as 0). */
const NUMBERS: Record<string, readonly string[]> = {
  requests: ['total', 'ok', 'errors'],
  connections: ['opened'],
  latency: ['p50Ms', 'p99Ms'],
};

/** A run file built from a result, stamped now (RFC3339 UTC, whole seconds). */
export function runFileOf(result: ExperimentResult, connlab: string, now: Date): RunFile {
  return {
    format: RUN_FILE_FORMAT,
    version: RUN_FILE_VERSION,
    savedAt: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    connlab: connlab || 'unknown',
    result,
  };
}

/** "connlab-<preset>-<id>.json", with anything but [A-Za-z0-9._-] made "_". */
export function runFileName(result: Pick<ExperimentResult, 'preset' | 'id'>): string {
  return `connlab-${safe(result.preset || 'custom')}-${safe(result.id)}.json`;
}

/** The run file as text (indented: a ticket reader may open it). */
export function encodeRunFile(f: RunFile): string {
  return JSON.stringify(f, null, 1) + '\n';
}

export type ReadResult = { ok: true; file: RunFile } | { ok: false; error: string };

/**
 * Reads a run file from its text. `bytes` is the file's size (the text is
 * not read past the limit by the caller; it is checked again here).
 */
export function readRunFile(text: string, bytes = text.length): ReadResult {
  if (bytes > RUN_FILE_MAX_BYTES) return fail(`The file is ${mib(bytes)}: larger than the ${mib(RUN_FILE_MAX_BYTES)} a run file can be.`);
  if (bytes === 0 || text.trim() === '') return fail('The file is empty.');
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    return fail(`The file is not JSON (${(err as Error).message}).`);
  }
  if (!isObj(v)) return fail('The file is not a connlab run file: it holds no JSON object.');
  if (v.format !== RUN_FILE_FORMAT) {
    if (v.format === undefined && isObj(v.progress) && typeof v.id === 'string')
      return fail('The file is a bare result (`connlab run -json`), not a run file: write one with `connlab run -o FILE` or the Lab’s Download button.');
    return fail(`The file is not a connlab run file: its format is ${JSON.stringify(v.format ?? null)}, not "${RUN_FILE_FORMAT}".`);
  }
  if (typeof v.version !== 'number' || !Number.isInteger(v.version) || v.version < 1) return fail(`The run file has no valid version (${JSON.stringify(v.version ?? null)}).`);
  if (v.version > RUN_FILE_VERSION)
    return fail(
      `The run file is version ${v.version}, written by a newer connlab${typeof v.connlab === 'string' && v.connlab ? ` (${v.connlab})` : ''}; this page reads up to version ${RUN_FILE_VERSION}. Open it with that connlab or a newer one.`,
    );
  const problem = shapeProblem(v.result);
  if (problem) return fail(`The run file is damaged: ${problem}.`);
  return {
    ok: true,
    file: {
      format: RUN_FILE_FORMAT,
      version: v.version,
      savedAt: typeof v.savedAt === 'string' ? v.savedAt : '',
      connlab: typeof v.connlab === 'string' ? v.connlab : '',
      result: normResult(v.result),
    },
  };
}

/** What is wrong with a result's shape, or null: every part the Lab draws, of the right type. */
export function shapeProblem(r: unknown): string | null {
  if (!isObj(r)) return 'no result';
  if (typeof r.id !== 'string' || r.id === '') return 'the result has no id';
  if (typeof r.preset !== 'string') return 'the result has no preset name';
  if (!STATUSES.includes(r.status as ExpStatus)) return `unknown status ${JSON.stringify(r.status ?? null)}`;
  if (!finite(r.startedAtMs)) return 'no start time (startedAtMs)';
  if (!finite(r.port)) return 'no port';
  if (!isObj(r.spec)) return 'no spec';
  const p = r.progress;
  if (!isObj(p) || typeof p.phase !== 'string') return 'no progress';
  for (const k of PROGRESS_NUMBERS) if (!finite(p[k])) return `no progress.${k}`;
  for (const k of ['requests', 'connections', 'kernel', 'latency'] as const) if (!isObj(r[k])) return `no ${k}`;
  for (const [part, keys] of Object.entries(NUMBERS)) {
    const o = r[part] as Record<string, unknown>;
    for (const k of keys) if (!finite(o[k])) return `no ${part}.${k}`;
  }
  const k = r.kernel as Record<string, unknown>;
  if (!isObj(k.timeWaitPeak) || !finite(k.timeWaitPeak.server) || !finite(k.timeWaitPeak.client)) return 'no kernel.timeWaitPeak';
  for (const a of ['findings', 'lanes', 'log'] as const) if (r[a] !== null && r[a] !== undefined && !Array.isArray(r[a])) return `${a} is not a list`;
  for (const f of (r.findings as unknown[] | null) ?? []) if (!isObj(f) || typeof f.id !== 'string' || typeof f.text !== 'string') return 'a finding without id or text';
  for (const l of (r.lanes as unknown[] | null) ?? []) if (!isObj(l) || !finite(l.id) || !finite(l.openedMs)) return 'a lane without id or openedMs';
  for (const l of (r.log as unknown[] | null) ?? []) if (!isObj(l) || !finite(l.atMs)) return 'a log line without atMs';
  return timelineProblem(r.timeline);
}

function timelineProblem(t: unknown): string | null {
  if (!isObj(t)) return 'no kernel timeline';
  if (!Array.isArray(t.t) || !t.t.every(finite)) return 'the timeline has no times';
  const n = t.t.length;
  for (const side of ['server', 'client'] as const) {
    const cols = t[side];
    if (cols === null || cols === undefined) continue;
    if (!isObj(cols)) return `the timeline's ${side} side is not a set of columns`;
    for (const [state, col] of Object.entries(cols)) {
      if (!Array.isArray(col) || col.length !== n || !col.every(finite)) return `the timeline's ${side} ${state} column does not match its ${n} times`;
    }
  }
  return null;
}

function fail(error: string): ReadResult {
  return { ok: false, error };
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function finite(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function safe(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80) || '_';
}

function mib(n: number): string {
  return `${(n / (1 << 20)).toFixed(n < 10 << 20 ? 1 : 0)} MiB`;
}
