// The socket table of one port: loaded from a snapshot, kept current by the
// tick changes (opened / changed / gone, keyed by 4-tuple), listed with a row
// cap. Pure, no DOM.

import type { Change, Side, Socket } from '../wire';
import { STATES } from './states';

/** A socket plus what the table derives from it. */
export interface Row extends Socket {
  key: string;
  /** Server time (Unix ms) at which the TIME_WAIT timer fires; absent otherwise. */
  expiresAt?: number;
}

export interface Listing {
  rows: Row[];
  /** Rows known but not listed (over the cap or filtered out by `limit`). */
  hidden: number;
  /** Sockets the server has that the table does not hold (snapshot cap). */
  unknown: number;
}

/** Identity of a socket across polls: its 4-tuple as the server spells it. */
export function socketKey(s: Pick<Socket, 'local' | 'remote'>): string {
  return `${s.local}|${s.remote}`;
}

function toRow(s: Socket, atMs: number): Row {
  const row: Row = { ...s, key: socketKey(s) };
  if (s.timer === 'timewait' && s.timerMs !== undefined && atMs > 0) row.expiresAt = atMs + s.timerMs;
  return row;
}

const stateRank = new Map<string, number>(STATES.map((s, i) => [s, i]));

/** Port number of "host:port" / "[v6]:port"; NaN if absent. */
export function portOf(addr: string): number {
  const i = addr.lastIndexOf(':');
  return i < 0 ? NaN : Number(addr.slice(i + 1));
}

/** Host part of "host:port" / "[v6]:port", brackets kept. */
export function hostOf(addr: string): string {
  const i = addr.lastIndexOf(':');
  return i < 0 ? addr : addr.slice(0, i);
}

/** Table order: server side first, then by state (display order), then local port. */
export function compareRows(a: Row, b: Row): number {
  if (a.side !== b.side) return a.side === 'server' ? -1 : 1;
  const sa = stateRank.get(a.state) ?? 99;
  const sb = stateRank.get(b.state) ?? 99;
  if (sa !== sb) return sa - sb;
  if (a.expiresAt !== undefined && b.expiresAt !== undefined && a.expiresAt !== b.expiresAt) {
    return a.expiresAt - b.expiresAt;
  }
  return portOf(a.local) - portOf(b.local) || portOf(a.remote) - portOf(b.remote) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

export class SocketTable {
  readonly #rows = new Map<string, Row>();
  #total = 0;

  get size(): number {
    return this.#rows.size;
  }

  /** Sockets the server reported (may exceed size when the snapshot was capped). */
  get total(): number {
    return Math.max(this.#total, this.#rows.size);
  }

  get(key: string): Row | undefined {
    return this.#rows.get(key);
  }

  /** Replaces everything with a snapshot's sockets, taken at atMs (server Unix ms). */
  load(sockets: readonly Socket[], total: number, atMs: number): void {
    this.#rows.clear();
    for (const s of sockets) {
      const r = toRow(s, atMs);
      this.#rows.set(r.key, r);
    }
    this.#total = Math.max(total, this.#rows.size);
  }

  /** Applies one tick's changes, taken at atMs. */
  apply(changes: readonly Change[], atMs: number): void {
    for (const c of changes) {
      const key = socketKey(c.socket);
      switch (c.kind) {
        case 'opened': {
          const had = this.#rows.has(key);
          this.#rows.set(key, toRow(c.socket, atMs));
          if (!had) this.#total++;
          break;
        }
        case 'changed':
          // An unknown key is one of the sockets a capped snapshot left out:
          // already counted in total (the max() below covers the other case).
          this.#rows.set(key, toRow(c.socket, atMs));
          break;
        case 'gone':
          if (this.#rows.delete(key) || this.#total > this.#rows.size) this.#total--;
          break;
      }
    }
    if (this.#total < this.#rows.size) this.#total = this.#rows.size;
  }

  /** All rows in table order, optionally filtered; the first `limit` are returned. */
  list(limit: number, filter?: (r: Row) => boolean): Listing {
    const all: Row[] = [];
    for (const r of this.#rows.values()) if (!filter || filter(r)) all.push(r);
    all.sort(compareRows);
    const rows = all.slice(0, Math.max(0, limit));
    return { rows, hidden: this.#rows.size - rows.length, unknown: this.total - this.#rows.size };
  }

  /**
   * Client-side sockets per destination (remote address), every state
   * included: each holds a local ephemeral port for that destination.
   */
  clientDestinations(): Map<string, number> {
    const m = new Map<string, number>();
    for (const r of this.#rows.values()) {
      if (r.side !== 'client') continue;
      m.set(r.remote, (m.get(r.remote) ?? 0) + 1);
    }
    return m;
  }

  /** Rows per side, for quick sanity checks. */
  countSide(side: Side): number {
    let n = 0;
    for (const r of this.#rows.values()) if (r.side === side) n++;
    return n;
  }
}

/** Time left on a row's TIME_WAIT timer at server time nowMs; null when none. */
export function timeWaitLeft(row: Row, nowMs: number): number | null {
  if (row.expiresAt === undefined) return null;
  return Math.max(0, row.expiresAt - nowMs);
}
