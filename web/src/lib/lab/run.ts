// One experiment as the page holds it: the exp-snapshot and the exp-updates
// applied in order, per internal/wire/experiment.go:
//   - updates before the snapshot, or with seq <= the last applied, are dropped;
//   - counters, progress and findings are absolute: replaced;
//   - lanes are upserts by id; log lines and timeline rows are appended;
//   - a gap in seq still applies (absolutes are right, lanes and rows may
//     miss some) and asks for a fresh snapshot (rate-limited, SeqTracker).
// Memory is bounded: the most recent LANE_KEEP lanes, LOG_KEEP log lines and
// CHART_ROWS kernel polls. Pure, no DOM; time is passed in.

import type { ExperimentResult, ExpSnapshot, ExpUpdate, Lane, RequestLine, Timeline } from '../../wire';
import { ServerClock } from '../clock';
import { SeqTracker } from '../seq';
import { StackedSeries } from '../series';
import { STACK_ORDER } from '../states';

/** Lanes kept (the swimlanes draw the most recent few of them). */
export const LANE_KEEP = 1000;
/** Request-log lines kept for the log view. */
export const LOG_KEEP = 300;
/** Request marks kept per lane (a connection carrying more shows its latest). */
export const MARKS_PER_LANE = 64;
/** Kernel polls kept per chart: 10 minutes at 4 polls/s. */
export const CHART_ROWS = 2400;

/** Everything but the bulky parts (lanes, log, timeline), replaced as a whole. */
export type RunFacts = Omit<ExperimentResult, 'lanes' | 'log' | 'timeline'>;

export interface RunChange {
  /** Something shown changed: redraw at the next frame. */
  changed: boolean;
  /** Ask for a fresh exp-snapshot (unsubscribe + subscribe). */
  resync: boolean;
}

const NOTHING: RunChange = Object.freeze({ changed: false, resync: false });

export class ExpRun {
  readonly id: string;
  readonly seq = new SeqTracker();
  readonly clock = new ServerClock();
  readonly server = new StackedSeries(CHART_ROWS, STACK_ORDER);
  readonly client = new StackedSeries(CHART_ROWS, STACK_ORDER);
  /** null until the first snapshot. */
  facts: RunFacts | null = null;
  /** Lanes by id (ids grow with time: the most recent have the highest). */
  readonly lanes = new Map<number, Lane>();
  /** Request start times (ms since start) per lane id, from the log. */
  readonly marks = new Map<number, number[]>();
  /** The most recent log lines, oldest first. */
  log: RequestLine[] = [];
  logTotal = 0;
  lanesTotal = 0;
  /** Lines the server left out of updates (ExpLogPerUpdate) or we missed in a gap. */
  logSkipped = 0;

  /**
   * A run read from a file (a replay): nothing follows, its clock stands
   * at the run's last moment (countdowns show what they showed then).
   */
  readonly frozen: boolean;

  constructor(id: string, frozen = false) {
    this.id = id;
    this.frozen = frozen;
  }

  /**
   * A run shown from its whole result: a finished run of this connlab
   * (GET /api/experiments/{id}) or, frozen, a run file's.
   */
  static fromResult(result: ExperimentResult, frozen: boolean, localNow: number): ExpRun {
    const r = new ExpRun(result.id, frozen);
    r.onSnapshot({ type: 'exp-snapshot', id: result.id, seq: 0, result }, localNow);
    return r;
  }

  get done(): boolean {
    return this.frozen || (this.facts !== null && this.facts.status !== 'running');
  }

  /** Waiting for a snapshot that replaces a gap. */
  get stale(): boolean {
    return this.seq.stale;
  }

  /** The websocket reconnected (the subscription is re-sent): wait for its snapshot. */
  reset(): void {
    this.seq.reset();
  }

  onSnapshot(s: ExpSnapshot, localNow: number): RunChange {
    if (s.id !== this.id || (this.frozen && this.facts)) return NOTHING;
    this.seq.onSnapshot(s.seq);
    const { lanes, log, timeline, ...facts } = s.result;
    this.facts = facts;
    if (facts.status === 'running') this.clock.observe(facts.startedAtMs + facts.progress.elapsedMs, localNow);
    this.lanes.clear();
    this.marks.clear();
    this.lanesTotal = s.result.lanesTotal;
    this.#upsertLanes(lanes);
    this.log = [];
    this.logTotal = s.result.logTotal;
    this.logSkipped = Math.max(0, this.logTotal - log.length);
    this.#appendLog(log);
    this.server.load(timeline.t, timeline.server);
    this.client.load(timeline.t, timeline.client);
    return { changed: true, resync: false };
  }

  onUpdate(u: ExpUpdate, localNow: number): RunChange {
    if (u.id !== this.id || !this.facts || this.frozen) return NOTHING;
    const v = this.seq.onTick(u.seq, false, localNow);
    if (!v.counts) return NOTHING;
    if (u.at) this.clock.observe(u.at, localNow);
    const f = this.facts;
    this.facts = {
      ...f,
      status: u.status,
      error: u.error,
      progress: u.progress,
      requests: u.requests,
      connections: u.connections,
      kernel: u.kernel,
      latency: u.latency,
      findings: u.findings,
      answer: u.answer,
    };
    if (u.done && u.status === 'running') this.facts.status = 'completed'; // defensive: done is final
    this.#upsertLanes(u.lanes);
    this.logTotal += u.log.length + (u.logSkipped ?? 0);
    this.logSkipped += u.logSkipped ?? 0;
    this.#appendLog(u.log);
    appendRows(this.server, u.timeline, 'server');
    appendRows(this.client, u.timeline, 'client');
    return { changed: true, resync: v.resync };
  }

  /** Milliseconds since the experiment started, now (server clock), for countdowns. */
  nowMs(localNow: number): number {
    if (!this.facts) return 0;
    if (this.frozen) return this.facts.progress.elapsedMs;
    return Math.max(0, this.clock.now(localNow) - this.facts.startedAtMs);
  }

  /** The lanes, oldest first. */
  laneList(): Lane[] {
    return [...this.lanes.values()].sort((a, b) => a.id - b.id);
  }

  #upsertLanes(lanes: readonly Lane[]): void {
    for (const l of lanes) {
      this.lanes.set(l.id, { ...this.lanes.get(l.id), ...l });
      if (l.id > this.lanesTotal) this.lanesTotal = l.id;
    }
    if (this.lanes.size <= LANE_KEEP) return;
    const ids = [...this.lanes.keys()].sort((a, b) => a - b);
    for (const id of ids.slice(0, ids.length - LANE_KEEP)) {
      this.lanes.delete(id);
      this.marks.delete(id);
    }
  }

  #appendLog(lines: readonly RequestLine[]): void {
    for (const l of lines) {
      if (l.conn) {
        let m = this.marks.get(l.conn);
        if (!m) this.marks.set(l.conn, (m = []));
        m.push(l.atMs);
        if (m.length > MARKS_PER_LANE) m.splice(0, m.length - MARKS_PER_LANE);
      }
    }
    const all = this.log.concat(lines);
    this.log = all.length > LOG_KEEP ? all.slice(all.length - LOG_KEEP) : all;
  }
}

/** Appends the rows of an update's timeline run to one side's chart buffer. */
export function appendRows(series: StackedSeries, tl: Timeline, side: 'server' | 'client'): void {
  const cols = tl[side];
  const row: Record<string, number> = {};
  for (let r = 0; r < tl.t.length; r++) {
    for (const name of series.order) row[name] = cols[name]?.[r] ?? 0;
    series.push(tl.t[r], row);
  }
}
