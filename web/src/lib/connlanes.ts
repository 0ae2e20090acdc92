// The Watch view's lanes: the most recent connections of a port, one lane
// each (keyed by the client's 4-tuple), with when it opened, who closed
// first, whether an RST ended it and which side holds the TIME_WAIT.
//
// Three inputs, merged into one bounded set (LANES_KEPT lanes):
//   - the server's list of connections that ended (GET .../connections): on
//     subscribe, and every few seconds with the polls source; its "who
//     closed first" is the server's verdict and wins;
//   - kernel transitions (eBPF source, websocket "transitions"): exact and
//     live. This host's socket going ESTABLISHED -> FIN_WAIT1 closed first,
//     -> CLOSE_WAIT was closed by its peer, FIN_WAIT1 on both ends (or
//     FIN_WAIT1 -> CLOSING) is a simultaneous close; a socket leaving
//     FIN_WAIT1/FIN_WAIT2/CLOSING for CLOSE without an RST goes on as a
//     TIME_WAIT (the kernel's mini-socket: not a transition of its own);
//   - tick changes (polls source): a new 4-tuple opened (at most a poll
//     earlier), a socket newly in TIME_WAIT closed first. Short connections
//     and RSTs are not seen, times are poll times.
//
// The geometry is the Lab's swimlanes' (lab/lanes.ts), fed with lanes in ms
// since the oldest one started. Pure, no DOM; times are Unix ms on the
// server's clock.

import type { Change, FlowConn, Lane, Side, TransitionEvent } from '../wire';
import { layoutLanes, type LaneGeom, type LaneLayout, type LaneOpts } from './lab/lanes';
import { portOf } from './sockets';

/** Connections kept at most (memory bound): the most recent ones. */
export const LANES_KEPT = 50;
/** How long Linux keeps a socket in TIME_WAIT, ms: the countdown when no poll has timed it. */
export const TIME_WAIT_MS = 60_000;

export type Closer = '' | 'server' | 'client' | 'simultaneous';

export interface WatchConn {
  /** Stable id for drawing (order of first sight). */
  id: number;
  client: string;
  server: string;
  /** When it opened; null when not seen (before watching began, or between polls). */
  openedMs: number | null;
  /** First evidence of it: its opening, or the first event or poll that saw it. */
  seenMs: number;
  /** First close (FIN or RST) of either side; null while open or unknown. */
  closedMs: number | null;
  /** Every socket of this host gone; null until then. */
  endedMs: number | null;
  closedFirst: Closer;
  reset: boolean;
  /** Who sent the RST ("" unknown or none). */
  resetBy: '' | Side;
  /** The ends that are sockets of this host. */
  here: Side[];
  /** When each side of this host entered TIME_WAIT. */
  timeWait: Partial<Record<Side, number>>;
  /** Sockets of this host seen open, and not closed since. */
  live: Partial<Record<Side, boolean>>;
  /** Sides whose socket closed actively (ESTABLISHED -> FIN_WAIT1). */
  active: Side[];
  /** Where its facts came from. */
  from: 'ebpf' | 'polls';
}

function other(s: Side): Side {
  return s === 'server' ? 'client' : 'server';
}

/** "[::ffff:127.0.0.1]:8081" -> "127.0.0.1:8081": both ends of one connection spell it alike. */
export function unmapAddr(a: string): string {
  const m = /^\[::ffff:(\d+\.\d+\.\d+\.\d+)\](:\d+)$/i.exec(a);
  return m ? m[1] + m[2] : a;
}

/** The 4-tuple of a socket of this host, as (client, server). */
function ends(side: Side, local: string, remote: string): { client: string; server: string } {
  const l = unmapAddr(local);
  const r = unmapAddr(remote);
  return side === 'server' ? { client: r, server: l } : { client: l, server: r };
}

const TIME_WAIT_FROM = new Set(['FIN_WAIT1', 'FIN_WAIT2', 'CLOSING']);

export class ConnLanes {
  readonly kept: number;
  readonly #lanes = new Map<string, WatchConn>();
  #nextId = 1;
  #version = 0;
  /** Events the server did not deliver to this page (transitions "dropped"). */
  dropped = 0;

  constructor(kept = LANES_KEPT) {
    this.kept = Math.max(1, kept);
  }

  get size(): number {
    return this.#lanes.size;
  }

  /** Changes whenever the lanes may have: redraw only then (and while something counts down). */
  get version(): number {
    return this.#version;
  }

  get(client: string, server: string): WatchConn | undefined {
    return this.#lanes.get(`${unmapAddr(client)}|${unmapAddr(server)}`);
  }

  clear(): void {
    this.#lanes.clear();
    this.dropped = 0;
    this.#version++;
  }

  /** Oldest first (by when each started). */
  list(): WatchConn[] {
    return [...this.#lanes.values()].sort((a, b) => startOf(a) - startOf(b) || a.id - b.id);
  }

  #lane(client: string, server: string, at: number, from: WatchConn['from']): WatchConn {
    this.#version++;
    const key = `${client}|${server}`;
    let l = this.#lanes.get(key);
    if (!l) {
      l = { id: this.#nextId++, client, server, openedMs: null, seenMs: at, closedMs: null, endedMs: null, closedFirst: '', reset: false, resetBy: '', here: [], timeWait: {}, live: {}, active: [], from };
      this.#lanes.set(key, l);
    } else if (at < l.seenMs) {
      l.seenMs = at;
    }
    l.from = from;
    return l;
  }

  /** Past the bound (after each batch): forget the oldest connection that ended, else the oldest. */
  #evict(): void {
    while (this.#lanes.size > this.kept) {
      let victim: [string, WatchConn] | null = null;
      let victimEnded = false;
      for (const e of this.#lanes) {
        const ended = e[1].endedMs !== null;
        if (victim === null || (ended && !victimEnded) || (ended === victimEnded && startOf(e[1]) < startOf(victim[1]))) {
          victim = e;
          victimEnded = ended;
        }
      }
      if (victim === null) return;
      this.#lanes.delete(victim[0]);
    }
  }

  /** The server's list of connections that ended: its "who closed first" wins. */
  seed(conns: readonly FlowConn[], source: 'ebpf' | 'polls'): void {
    for (const c of conns) {
      const l = this.#lane(unmapAddr(c.client), unmapAddr(c.server), c.openedMs ?? c.endedMs, source);
      if (l.openedMs === null && c.openedMs !== null) l.openedMs = c.openedMs;
      l.closedMs ??= c.endedMs;
      l.endedMs ??= c.endedMs;
      l.closedFirst = c.closedFirst;
      l.reset = c.reset;
      for (const s of c.here) {
        if (!l.here.includes(s)) l.here.push(s);
        l.live[s] = false;
      }
      if (c.reset) {
        l.timeWait = {};
      } else {
        const holders: Side[] = c.closedFirst === 'simultaneous' ? ['server', 'client'] : c.closedFirst ? [c.closedFirst] : [];
        for (const s of holders) if (l.here.includes(s)) l.timeWait[s] ??= c.endedMs;
      }
    }
    this.#evict();
  }

  /** Kernel transitions (eBPF), in the order the server sent them. */
  onEvents(events: readonly TransitionEvent[]): void {
    for (const e of events) {
      if (portOf(e.local) === 0) continue; // SYN_SENT is entered before the local port is chosen
      const { client, server } = ends(e.side, e.local, e.remote);
      const l = this.#lane(client, server, e.at, 'ebpf');
      const side = e.side;
      if (!l.here.includes(side)) l.here.push(side);
      if (e.reset) {
        l.reset = true;
        const by = e.reset === 'sent' ? side : other(side);
        l.resetBy ||= by;
        if (!l.closedFirst) l.closedFirst = by;
        l.closedMs ??= e.at;
        delete l.timeWait[side]; // a socket that takes part in an RST does not linger in TIME_WAIT
        continue;
      }
      if (e.to === 'ESTABLISHED' && (e.from === 'SYN_SENT' || e.from === 'SYN_RECV')) {
        l.openedMs = l.openedMs === null ? e.at : Math.min(l.openedMs, e.at);
        l.live[side] = true;
      } else if (e.from === 'ESTABLISHED' && e.to === 'FIN_WAIT1') {
        if (!l.active.includes(side)) l.active.push(side);
        l.closedFirst = l.active.length === 2 ? 'simultaneous' : l.closedFirst || side;
        l.closedMs ??= e.at;
      } else if (e.from === 'FIN_WAIT1' && e.to === 'CLOSING') {
        l.closedFirst = 'simultaneous';
        l.closedMs ??= e.at;
      } else if (e.from === 'ESTABLISHED' && e.to === 'CLOSE_WAIT') {
        if (!l.closedFirst) l.closedFirst = other(side);
        l.closedMs ??= e.at;
      }
      if (e.to === 'CLOSE') {
        l.live[side] = false;
        l.closedMs ??= e.at;
        if (TIME_WAIT_FROM.has(e.from) && !l.reset) l.timeWait[side] = e.at;
        if (l.here.every((s) => l.live[s] === false)) l.endedMs = e.at;
      } else if (e.to !== 'SYN_SENT' && e.to !== 'SYN_RECV' && l.live[side] === undefined) {
        l.live[side] = true; // opened before watching began
      }
    }
    this.#evict();
  }

  /** One poll's socket changes (polls source), taken at atMs. */
  onChanges(changes: readonly Change[], atMs: number): void {
    for (const c of changes) {
      const s = c.socket;
      if (s.state === 'LISTEN' || portOf(s.remote) === 0 || Number.isNaN(portOf(s.remote))) continue;
      const { client, server } = ends(s.side, s.local, s.remote);
      const known = this.#lanes.get(`${client}|${server}`);
      // A TIME_WAIT that expires (or any socket leaving) says nothing new about a connection not kept.
      if (c.kind === 'gone' && !known) continue;
      const l = known ?? this.#lane(client, server, atMs, 'polls');
      l.from = 'polls';
      const side = s.side;
      if (!l.here.includes(side)) l.here.push(side);
      if (c.kind === 'opened' && !known && s.state === 'ESTABLISHED') l.openedMs = atMs;
      if (c.kind === 'gone') {
        if (s.state === 'TIME_WAIT' || c.from === 'TIME_WAIT') continue; // its TIME_WAIT ran out
        l.live[side] = false;
        l.closedMs ??= atMs;
        if (l.here.every((h) => l.live[h] === false)) l.endedMs ??= atMs;
        continue;
      }
      switch (s.state) {
        case 'TIME_WAIT':
          l.closedFirst = l.closedFirst === other(side) && l.timeWait[other(side)] !== undefined ? 'simultaneous' : l.closedFirst || side;
          l.timeWait[side] ??= atMs;
          l.live[side] = false;
          l.closedMs ??= atMs;
          if (l.here.every((h) => l.live[h] === false)) l.endedMs ??= atMs;
          break;
        case 'FIN_WAIT1':
        case 'FIN_WAIT2':
          if (!l.closedFirst) l.closedFirst = side;
          l.closedMs ??= atMs;
          break;
        case 'CLOSE_WAIT':
        case 'LAST_ACK':
          if (!l.closedFirst) l.closedFirst = other(side);
          l.closedMs ??= atMs;
          break;
        default:
          l.live[side] = true;
      }
    }
    this.#evict();
  }
}

function startOf(l: WatchConn): number {
  return l.openedMs ?? l.seenMs;
}

/** Server time (Unix ms) when a side's TIME_WAIT timer fires, as the last poll read it; undefined when unknown. */
export type TimeWaitExpiry = (conn: WatchConn, side: Side) => number | undefined;

/** A lane as drawn, with what the Watch adds to the Lab's geometry. */
export interface WatchGeom extends LaneGeom {
  conn: WatchConn;
  /** The lane ended but nothing says who closed first (draw no closer mark; `end` is the Lab's default then). */
  closerUnknown: boolean;
}

export interface WatchLayout extends Omit<LaneLayout, 'lanes'> {
  lanes: WatchGeom[];
  /** Unix ms of x = the axis's origin (the oldest lane's start). */
  t0: number;
}

/** A Lab lane (ms since t0) for one connection at server time now. */
export function toLane(c: WatchConn, t0: number, expiry?: TimeWaitExpiry): Lane {
  const rel = (t: number | null) => (t === null ? undefined : t - t0);
  const sides = (['server', 'client'] as const).filter((s) => c.timeWait[s] !== undefined);
  const l: Lane = {
    id: c.id,
    clientPort: portOf(c.client),
    openedMs: startOf(c) - t0,
    connectMs: 0,
    dialed: c.here.includes('client'),
    accepted: c.here.includes('server'),
    requests: 0,
    closedBy: c.reset && !c.closedFirst ? c.resetBy : c.closedFirst,
    closedMs: rel(c.closedMs),
    endedMs: rel(c.endedMs),
    end: c.reset ? 'rst' : c.closedMs !== null ? 'fin' : '',
    resetBy: c.resetBy || undefined,
  };
  if (sides.length) {
    const start = Math.min(...sides.map((s) => c.timeWait[s] as number));
    // The kernel's countdown when a poll read it, else TIME_WAIT's fixed 60 s from when it began.
    const until = Math.max(...sides.map((s) => expiry?.(c, s) ?? (c.timeWait[s] as number) + TIME_WAIT_MS));
    l.timeWait = sides.length === 2 ? 'both' : sides[0];
    l.timeWaitMs = start - t0;
    l.timeWaitLeftMs = Math.max(0, until - start);
  }
  return l;
}

/**
 * Lays the connections out with the Lab's swimlane geometry, the most
 * recent o.maxLanes of them, newest at the bottom.
 * @param now server time, Unix ms
 */
export function layoutConns(conns: readonly WatchConn[], now: number, o: LaneOpts, expiry?: TimeWaitExpiry): WatchLayout {
  const shown = conns.slice(Math.max(0, conns.length - o.maxLanes));
  const t0 = shown.length ? Math.min(...shown.map(startOf)) : now;
  const byId = new Map(shown.map((c) => [c.id, c]));
  const L = layoutLanes(
    shown.map((c) => toLane(c, t0, expiry)),
    new Map(),
    now - t0,
    o,
  );
  const lanes = L.lanes.map((g) => {
    const conn = byId.get(g.id) as WatchConn;
    const closerUnknown = g.end !== 'open' && g.end !== 'rst' && !conn.closedFirst;
    let endText = closerUnknown ? 'ended, closer not seen' : g.endText;
    if (closerUnknown && g.tw) endText += ` · ${g.endText.split(' · ').slice(1).join(' · ')}`;
    if (conn.openedMs === null) endText += ' · opening not seen';
    return { ...g, endText, conn, closerUnknown };
  });
  return { ...L, hidden: conns.length - shown.length, lanes, t0 };
}
