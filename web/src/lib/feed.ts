// Everything the page holds for one subscribed port: sequence tracking,
// socket table, the two chart buffers and the latest counts. Snapshots and
// ticks go in; what changed comes out. Pure, no DOM; time is passed in.

import type { Counts, Snapshot, Tick } from '../wire';
import { ServerClock } from './clock';
import { SeqTracker } from './seq';
import { StackedSeries } from './series';
import { SocketTable } from './sockets';
import { STACK_ORDER } from './states';

/** Default chart window: 3 minutes, enough to see TIME_WAIT (60 s) pile up and drain. */
export const CHART_WINDOW_MS = 180_000;
/** Timeline a port keeps on the server unless -history says otherwise (monitor.DefaultHistory). */
export const DEFAULT_HISTORY_MS = 15 * 60_000;
/** Most polls the page keeps per side for "whole history" (2 h at 250 ms): a longer -history shows its newest part. */
export const KEEP_ROWS_MAX = 28_800;

/** Polls to keep for a server that keeps historyMs of timeline (at least the chart window). */
export function keptRows(historyMs: number, intervalMs: number): number {
  const ms = Math.max(CHART_WINDOW_MS, historyMs > 0 ? historyMs : DEFAULT_HISTORY_MS);
  return Math.min(KEEP_ROWS_MAX, Math.ceil(ms / Math.max(intervalMs, 10)) + 1);
}

export interface FeedUpdate {
  /** The charts, tiles or table changed: redraw at the next frame. */
  changed: boolean;
  /** Ask the server for a fresh snapshot of this port. */
  resync: boolean;
}

export class PortFeed {
  readonly port: number;
  readonly seq = new SeqTracker();
  readonly table = new SocketTable();
  readonly clock = new ServerClock();
  readonly server: StackedSeries;
  readonly client: StackedSeries;
  counts: Counts = { server: {}, client: {} };
  /** Server time (Unix ms) of the latest poll applied; 0 before any. */
  at = 0;
  source = '';

  readonly intervalMs: number;

  /**
   * @param port the watched port
   * @param intervalMs poll interval (sizes the buffers)
   * @param historyMs timeline the server keeps (System.historyMs): the
   *   charts can show all of it; 0 when not known yet (the default is assumed)
   */
  constructor(port: number, intervalMs: number, historyMs = 0) {
    this.port = port;
    this.intervalMs = intervalMs;
    const capacity = keptRows(historyMs, intervalMs);
    this.server = new StackedSeries(capacity, STACK_ORDER);
    this.client = new StackedSeries(capacity, STACK_ORDER);
  }

  /** The server keeps historyMs of timeline (learned after this feed started). */
  keep(historyMs: number): void {
    const capacity = keptRows(historyMs, this.intervalMs);
    this.server.setCapacity(capacity);
    this.client.setCapacity(capacity);
  }

  /** Seconds of timeline the charts can show at most. */
  get keptSec(): number {
    return ((this.server.capacity - 1) * this.intervalMs) / 1000;
  }

  /** The websocket (re)connected or the port was resubscribed: wait for a snapshot. */
  reset(): void {
    this.seq.reset();
  }

  onSnapshot(s: Snapshot, localNow: number): FeedUpdate {
    this.seq.onSnapshot(s.seq);
    this.source = s.source;
    this.counts = s.counts;
    this.at = s.at;
    this.clock.observe(s.at, localNow);
    this.table.load(s.sockets, s.socketsTotal, s.at);
    const tl = s.timeline;
    this.server.load(tl.t, tl.server);
    this.client.load(tl.t, tl.client);
    // The snapshot's own counts are the newest point when the ring does not have it yet.
    if (s.at > 0) {
      this.server.push(s.at, s.counts.server);
      this.client.push(s.at, s.counts.client);
    }
    return { changed: true, resync: false };
  }

  onTick(t: Tick, localNow: number): FeedUpdate {
    const v = this.seq.onTick(t.seq, t.truncated === true, localNow);
    if (!v.counts) return { changed: false, resync: false };
    this.counts = t.counts;
    this.at = t.at;
    this.clock.observe(t.at, localNow);
    this.server.push(t.at, t.counts.server);
    this.client.push(t.at, t.counts.client);
    if (v.changes && t.changes) this.table.apply(t.changes, t.at);
    return { changed: true, resync: v.resync };
  }

  /** The socket table may be missing changes (waiting for a fresh snapshot). */
  get stale(): boolean {
    return this.seq.stale;
  }
}
