// State of the Lab view: the presets, the spec being edited (and the second
// one of a comparison), the runs and their live data. Glue between the pure
// modules (fields, specurl, ExpRun), the API, the page's websocket (Link)
// and the components. The heavy data (lanes, log, chart columns) stays out
// of Svelte's reactivity: `revision`, bumped at most once per animation
// frame, tells the components to read it again.

import type { ExperimentResult, ExpSummary, PresetInfo, RunFile, ServerMessage } from '../../wire';
import { Api, ApiError } from '../api';
import type { Connection } from '../conn';
import { FrameCoalescer, type FrameCancel, type FrameRequest } from '../frame';
import { Fields, setField, type FieldValue, type FlatSpec } from './fields';
import type { RecentSummary } from './recent';
import { ExpRun } from './run';
import { readRunFile, RUN_FILE_MAX_BYTES, runFileOf } from './runfile';
import { decodeLabQuery, encodeLabQuery, withWorkload, type SideSpec } from './specurl';

export type SideId = 'a' | 'b';

/** What the Lab needs of the page's websocket (Link). */
export interface LabLink {
  readonly conn: Pick<Connection, 'subscribeExperiment' | 'unsubscribeExperiment' | 'resyncExperiment'>;
  on(fn: (m: ServerMessage) => void): () => void;
  onReconnect(fn: () => void): () => void;
  /** The server's hello (its version goes into the run files the page writes). */
  readonly hello?: { version: string } | null;
}

/** A run file being replayed: what it holds, and where it came from. */
export interface Replay {
  /** The file's name, as picked or dropped. */
  name: string;
  file: RunFile;
}

/** What the page showed before a replay: Back brings it back. */
interface Shown {
  a: SideSpec;
  b: SideSpec | null;
  runs: Record<SideId, ExpRun | null>;
  urlProblems: string[];
}

/** The animation-frame pair (the page's; tests pass their own). */
export interface Frames {
  request: FrameRequest;
  cancel: FrameCancel;
}

const pageFrames = (): Frames => ({
  request: (cb) => window.requestAnimationFrame(cb),
  cancel: (id) => window.cancelAnimationFrame(id),
});

/** The preset the Lab opens with when the URL names none: the first seed article's setup. */
export const DEFAULT_PRESET = 'client-disable-keepalive';

export class LabStore {
  presets = $state.raw<PresetInfo[]>([]);
  /** The spec's fields, from the server's schema (null until loaded). */
  fields = $state.raw<Fields | null>(null);
  loaded = $state(false);
  /** A problem talking to the server (HTTP or websocket error), for the alert line. */
  problem = $state<string | null>(null);
  /** What the URL had that could not be used. */
  urlProblems = $state<string[]>([]);
  a = $state.raw<SideSpec>({ preset: DEFAULT_PRESET, values: {} });
  /** The comparison's second spec (its workload is a's), or null. */
  b = $state.raw<SideSpec | null>(null);
  /** Errors by field key, per side: the form's own checks, then the server's 400s. */
  errors = $state.raw<Record<SideId, Record<string, string>>>({ a: {}, b: {} });
  runs = $state.raw<Record<SideId, ExpRun | null>>({ a: null, b: null });
  starting = $state(false);
  revision = $state(0);
  /** Experiments running on the server that this page does not show (another tab, a reload). */
  others = $state.raw<ExpSummary[]>([]);
  /** Every experiment the server lists (running, finished, saved): the Recent runs list picks the finished ones. */
  listed = $state.raw<RecentSummary[]>([]);
  /** The run file shown (nothing running), or null. */
  replay = $state.raw<Replay | null>(null);
  /** Why the last file picked or dropped could not be shown (what was on screen stays). */
  fileProblem = $state<string | null>(null);
  /** Skip-observe asked and not yet seen in the run's progress. */
  skipping = $state(false);

  readonly api: Api;
  readonly #link: LabLink;
  readonly #frame: FrameCoalescer;
  #off: (() => void)[] = [];
  /** An attached run whose spec the form takes on its snapshot. */
  #adopt: string | null = null;
  /** What a replay replaced (Back restores it). */
  #before: Shown | null = null;

  constructor(link: LabLink, api = new Api(), frames: Frames = pageFrames()) {
    this.#link = link;
    this.api = api;
    this.#frame = new FrameCoalescer(frames.request, frames.cancel);
  }

  /** A run is going on (Run becomes Stop). */
  get running(): boolean {
    void this.revision;
    return (this.runs.a !== null && !this.runs.a.done) || (this.runs.b !== null && !this.runs.b.done);
  }

  /** A shown run is in its observe phase (Skip observe applies). */
  get observing(): boolean {
    void this.revision;
    return this.#observing().length > 0;
  }

  #observing(): ExpRun[] {
    return [this.runs.a, this.runs.b].filter((r): r is ExpRun => r !== null && !r.done && r.facts?.progress.phase === 'observe');
  }

  preset(name: string): PresetInfo | undefined {
    return this.presets.find((p) => p.name === name);
  }

  /** The preset as the Lab starts from it (65 s observe), flat. */
  baseOf = (name: string): FlatSpec | undefined => {
    const p = this.preset(name);
    return p && this.fields ? this.fields.uiBase(p.spec) : undefined;
  };

  async start(): Promise<void> {
    this.#off.push(
      this.#link.on((m) => this.#onMessage(m)),
      this.#link.onReconnect(() => {
        for (const r of [this.runs.a, this.runs.b]) if (r && !r.frozen) r.reset();
        // Maybe a restarted connlab: what it lists (saved runs among them) may have changed.
        void this.refreshOthers();
      }),
    );
    try {
      const [presets, schema] = await Promise.all([this.api.presets(), this.api.schema()]);
      this.fields = new Fields(schema);
      this.presets = presets;
      if (!this.preset(this.a.preset) && this.presets[0]) this.a = { preset: this.presets[0].name, values: {} };
      this.a = { preset: this.a.preset, values: this.baseOf(this.a.preset) ?? {} };
      this.problem = null;
    } catch (err) {
      this.problem = describe(err);
    } finally {
      this.loaded = true;
    }
    await this.refreshOthers();
  }

  /** Reloads the list of running experiments this page does not show. */
  async refreshOthers(): Promise<void> {
    try {
      // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a scratch set for one filter, not state
      const mine = new Set([this.runs.a?.id, this.runs.b?.id]);
      const list = await this.api.experiments();
      this.listed = list;
      this.others = list.filter((e) => e.status === 'running' && !mine.has(e.id));
    } catch {
      // The list is a convenience: the problem line reports real failures.
    }
  }

  /** Shows a running experiment (from `others`) as A. */
  attach(id: string): void {
    this.#endReplay();
    this.#drop('a');
    this.#drop('b');
    this.runs = { a: new ExpRun(id), b: null };
    this.#adopt = id;
    this.#link.conn.subscribeExperiment(id);
    this.others = this.others.filter((e) => e.id !== id);
    this.#bump();
  }

  /** Shows a finished run of this connlab (the Recent runs list) in full, as A. */
  async showFinished(id: string): Promise<void> {
    if (this.running) return;
    let res: ExperimentResult;
    try {
      res = await this.api.experiment(id);
    } catch (err) {
      this.problem = err instanceof ApiError && err.status === 404 ? `Run ${id} is no longer kept by this connlab.` : describe(err);
      void this.refreshOthers();
      return;
    }
    if (this.running) return; // a run started meanwhile
    this.#endReplay();
    this.#drop('a');
    this.#drop('b');
    this.problem = null;
    const run = ExpRun.fromResult(res, false, Date.now());
    this.runs = { a: run, b: null };
    this.#adoptSpec(res);
    // A run still going (listed as finished a moment ago, or started elsewhere) keeps updating.
    if (!run.done) this.#link.conn.subscribeExperiment(id);
    this.#bump();
  }

  /**
   * Reads a run file (picked or dropped) and shows it as it ran, nothing
   * running. A file that cannot be read leaves the page as it was and says
   * why in fileProblem.
   */
  async openFile(f: { name: string; size: number; text(): Promise<string> }): Promise<boolean> {
    if (this.running) {
      this.fileProblem = `${f.name}: stop the run first; a file is shown in its place.`;
      return false;
    }
    if (f.size > RUN_FILE_MAX_BYTES) {
      const r = readRunFile('', f.size);
      this.fileProblem = `${f.name}: ${r.ok ? '' : r.error}`;
      return false;
    }
    let text: string;
    try {
      text = await f.text();
    } catch (err) {
      this.fileProblem = `${f.name}: could not read the file (${describe(err)}).`;
      return false;
    }
    const r = readRunFile(text, f.size);
    if (!r.ok) {
      this.fileProblem = `${f.name}: ${r.error}`;
      return false;
    }
    if (this.running) return false;
    this.fileProblem = null;
    this.showReplay({ name: f.name, file: r.file });
    return true;
  }

  /** Shows a run file's result as A, frozen; Back (endReplay) restores what was shown. */
  showReplay(replay: Replay): void {
    if (!this.replay) this.#before = { a: this.a, b: this.b, runs: this.runs, urlProblems: this.urlProblems };
    for (const s of ['a', 'b'] as const) {
      const r = this.runs[s];
      // Leave a live run's topic; its ExpRun is kept for Back (it re-subscribes).
      if (r && !r.frozen && !r.done) this.#link.conn.unsubscribeExperiment(r.id);
    }
    this.replay = replay;
    this.problem = null;
    this.runs = { a: ExpRun.fromResult(replay.file.result, true, Date.now()), b: null };
    this.#adoptSpec(replay.file.result);
    this.urlProblems = [];
    this.#bump();
  }

  /** Leaves the replay: what was shown before it comes back. */
  endReplay(): void {
    this.#endReplay();
    this.#bump();
  }

  #endReplay(): void {
    if (!this.replay) return;
    this.replay = null;
    const b = this.#before;
    this.#before = null;
    if (!b) {
      this.runs = { a: null, b: null };
      return;
    }
    this.a = b.a;
    this.b = b.b;
    this.runs = b.runs;
    this.urlProblems = b.urlProblems;
    for (const r of [b.runs.a, b.runs.b]) {
      if (r && !r.done) {
        // It went on meanwhile: a fresh snapshot catches up.
        r.reset();
        this.#link.conn.subscribeExperiment(r.id);
      }
    }
  }

  /** The form takes on a shown result's spec, so the URL and Run reproduce it. */
  #adoptSpec(res: ExperimentResult): void {
    if (!this.preset(res.preset) || !this.fields) return;
    try {
      this.a = { preset: res.preset, values: this.fields.flatten(res.spec) };
      this.b = null;
      this.errors = { a: {}, b: {} };
    } catch {
      // A spec this page cannot flatten (a newer connlab's): the form keeps its own.
    }
  }

  /**
   * A side's run as a run file: a replay's own result, else the server's
   * whole result (GET /api/experiments/{id}), which the page's bounded
   * buffers may not hold in full.
   */
  async runFile(side: SideId): Promise<RunFile> {
    const run = this.runs[side];
    if (!run) throw new Error('no run to download');
    const version = this.#link.hello?.version ?? '';
    const result = run.frozen && this.replay ? this.replay.file.result : await this.api.experiment(run.id);
    return runFileOf(result, version, now());
  }

  /** Ends the observe phase of the shown runs now (POST …/skip-observe). */
  async skipObserve(): Promise<void> {
    const runs = this.#observing();
    if (!runs.length) return;
    this.skipping = true;
    const res = await Promise.allSettled(runs.map((r) => this.api.skipObserve(r.id)));
    const bad = res.find((r) => r.status === 'rejected');
    // 404: the run ended meanwhile; nothing to skip.
    if (bad && !(bad.reason instanceof ApiError && bad.reason.status === 404)) this.problem = describe(bad.reason);
    this.skipping = false;
  }

  /** Stops an experiment of `others`. */
  async stopOther(id: string): Promise<void> {
    try {
      await this.api.stopExperiment(id);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) this.problem = describe(err);
    }
    await this.refreshOthers();
  }

  stop(): void {
    for (const off of this.#off.splice(0)) off();
    this.#frame.cancel();
  }

  /** The query string of the current specs (what the address bar should show). */
  query(): string {
    if (!this.loaded || this.presets.length === 0 || !this.fields) return '';
    return encodeLabQuery(this.fields, this.a, this.b, this.baseOf);
  }

  /** Takes the specs from a URL query (a deep link, back/forward). */
  applyQuery(search: string): void {
    if (this.presets.length === 0 || !this.fields) return;
    const q = decodeLabQuery(this.fields, search, this.baseOf, this.preset(DEFAULT_PRESET) ? DEFAULT_PRESET : this.presets[0].name);
    this.a = q.a;
    this.b = q.b;
    this.urlProblems = q.problems;
    this.errors = { a: {}, b: {} };
  }

  choosePreset(side: SideId, name: string): void {
    const base = this.baseOf(name);
    if (!base) return;
    if (side === 'a') {
      this.a = { preset: name, values: base };
      if (this.b) this.b = { ...this.b, values: this.#withWorkload(this.b.values, base) };
    } else {
      this.b = { preset: name, values: this.#withWorkload(base, this.a.values) };
    }
    this.errors = { ...this.errors, [side]: {} };
  }

  /** Sets one field of one side; the workload is shared, so it is set on a. */
  setValue(side: SideId, key: string, value: FieldValue): void {
    const shared = this.#workload(key);
    if (side === 'a' || shared) {
      this.a = { ...this.a, values: setField(this.a.values, key, value) };
      if (this.b) this.b = { ...this.b, values: this.#withWorkload(this.b.values, this.a.values) };
    } else if (this.b) {
      this.b = { ...this.b, values: setField(this.b.values, key, value) };
    }
    this.#clearError(shared ? 'a' : side, key);
  }

  /** Back to the preset's values (keeps the shared workload on b). */
  resetSide(side: SideId): void {
    const s = side === 'a' ? this.a : this.b;
    if (s) this.choosePreset(side, s.preset);
  }

  /** Starts a comparison with a second preset (or a copy of a's spec when name is a's preset). */
  compareWith(name: string): void {
    if (name === this.a.preset) this.b = { preset: name, values: { ...this.a.values } };
    else this.choosePreset('b', name);
  }

  endCompare(): void {
    this.b = null;
    this.errors = { ...this.errors, b: {} };
  }

  /** Runs a (and b): both POSTed together, then followed over the websocket. */
  async run(): Promise<void> {
    if (this.starting || this.running) return;
    const sides: SideId[] = this.b ? ['a', 'b'] : ['a'];
    const fields = this.fields;
    if (!fields) return;
    const local = { a: fields.validate(this.a.values), b: this.b ? fields.validate(this.b.values) : {} };
    if (Object.keys(local.a).length || Object.keys(local.b).length) {
      this.errors = local;
      this.problem = 'Fix the fields marked in the form first.';
      return;
    }
    this.starting = true;
    this.problem = null;
    this.errors = { a: {}, b: {} };
    if (this.replay) {
      // A run replaces the replay and what it had replaced (the specs are the form's).
      this.replay = null;
      this.#before = null;
      this.runs = { a: null, b: null };
    }
    for (const s of ['a', 'b'] as const) this.#drop(s);
    const specs = { a: this.a, b: this.b };
    const results = await Promise.allSettled(sides.map((s) => this.api.startExperiment(fields.nest(specs[s]!.values, specs[s]!.preset))));
    const failed = results.findIndex((r) => r.status === 'rejected');
    if (failed >= 0) {
      // All or nothing: a comparison with one side missing says nothing.
      for (const r of results) if (r.status === 'fulfilled') void this.api.stopExperiment(r.value.id).catch(() => {});
      const err = (results[failed] as PromiseRejectedResult).reason;
      this.#showStartError(sides[failed], err);
      this.starting = false;
      return;
    }
    const runs: Record<SideId, ExpRun | null> = { a: null, b: null };
    sides.forEach((s, i) => {
      const id = (results[i] as PromiseFulfilledResult<{ id: string }>).value.id;
      runs[s] = new ExpRun(id);
      this.#link.conn.subscribeExperiment(id);
    });
    this.runs = runs;
    this.starting = false;
    this.#bump();
  }

  /** Stops the running experiments (DELETE); the final update follows on the websocket. */
  async stopRuns(): Promise<void> {
    const ids = (['a', 'b'] as const).map((s) => this.runs[s]).filter((r): r is ExpRun => r !== null && !r.done);
    const res = await Promise.allSettled(ids.map((r) => this.api.stopExperiment(r.id)));
    const bad = res.find((r) => r.status === 'rejected');
    if (bad) this.problem = describe((bad as PromiseRejectedResult).reason);
  }

  /** Forgets a side's run (unsubscribing it). */
  #drop(side: SideId): void {
    const r = this.runs[side];
    if (!r) return;
    if (!r.frozen) this.#link.conn.unsubscribeExperiment(r.id);
    this.runs = { ...this.runs, [side]: null };
  }

  #showStartError(side: SideId, err: unknown): void {
    if (err instanceof ApiError && err.field && this.fields?.def(err.field)) {
      // The workload fields are a's, also for b.
      const s = this.#workload(err.field) ? 'a' : side;
      this.errors = { ...this.errors, [s]: { [err.field]: err.message } };
      this.problem = `${side === 'b' ? 'Second spec: ' : ''}${err.field}: ${err.message}`;
      return;
    }
    if (err instanceof ApiError && err.code === 'too_many_experiments') {
      this.problem = `${err.message}. Each run keeps its slot through the observe tail.`;
      void this.refreshOthers();
      return;
    }
    this.problem = describe(err);
  }

  /** A workload key: shared by both sides of a comparison. */
  #workload(key: string): boolean {
    return this.fields?.workloadKeys.includes(key) ?? false;
  }

  #withWorkload(b: FlatSpec, a: FlatSpec): FlatSpec {
    return this.fields ? withWorkload(this.fields, b, a) : b;
  }

  #clearError(side: SideId, key: string): void {
    if (!(key in this.errors[side])) return;
    const e = { ...this.errors[side] };
    delete e[key];
    this.errors = { ...this.errors, [side]: e };
  }

  #onMessage(m: ServerMessage): void {
    const now = Date.now();
    switch (m.type) {
      case 'exp-snapshot':
      case 'exp-update':
        for (const r of [this.runs.a, this.runs.b]) {
          if (!r || r.id !== m.id || r.frozen) continue;
          const c = m.type === 'exp-snapshot' ? r.onSnapshot(m, now) : r.onUpdate(m, now);
          if (m.type === 'exp-snapshot' && this.#adopt === m.id) {
            // An attached run: the form shows what it runs, so the URL reproduces it.
            this.#adopt = null;
            if (this.preset(m.result.preset) && this.fields) this.a = { preset: m.result.preset, values: this.fields.flatten(m.result.spec) };
            this.b = null;
          }
          if (c.resync) this.#link.conn.resyncExperiment(r.id);
          // Nothing follows the final update: leave the topic, unless a gap needs a snapshot first.
          if (r.done && !r.stale) {
            this.#link.conn.unsubscribeExperiment(r.id);
            if (c.changed) void this.refreshOthers();
          }
          if (c.changed) this.#bump();
        }
        break;
      case 'error':
        if (m.error.field === 'experiment') this.problem = m.error.message || m.error.code;
        break;
    }
  }

  #bump(): void {
    this.#frame.schedule(() => this.revision++);
  }
}

/** The time a file is written (a plain value, not state). */
function now(): Date {
  return new Date(Date.now());
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
