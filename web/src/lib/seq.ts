// Sequence tracking for one subscribed port: which ticks to apply, which to
// drop, and when to ask for a fresh snapshot. Pure, no I/O, time injected.
//
// Rules (wire.Snapshot / wire.Tick):
//   - before a snapshot, ticks are dropped (the snapshot will cover them);
//   - a tick with seq <= the last applied seq is stale: dropped;
//   - seq == last+1 and not truncated: apply counts and changes;
//   - a gap (seq > last+1) or a truncated tick: the counts are still right
//     (apply them to the charts) but the socket table missed changes, so ask
//     for a fresh snapshot. Resyncs are rate-limited so a host churning more
//     than wire.ChangesLimit sockets per poll does not loop on snapshots, and
//     a request left unanswered is retried after a timeout.

export interface TickVerdict {
  /** The tick's counts are new: add them to the charts and tiles. */
  counts: boolean;
  /** The tick's changes follow the table's state: apply them. */
  changes: boolean;
  /** Ask the server for a fresh snapshot now. */
  resync: boolean;
}

/** Minimum time between two resync requests for one port, ms. */
export const RESYNC_MIN_INTERVAL_MS = 2000;
/** A resync request unanswered for this long may be sent again, ms. */
export const RESYNC_TIMEOUT_MS = 5000;

const DROP: TickVerdict = Object.freeze({ counts: false, changes: false, resync: false });

export class SeqTracker {
  /** Last applied seq; null while waiting for a snapshot. */
  #seq: number | null = null;
  /** The socket table missed changes; cleared by the next snapshot. */
  #stale = false;
  /** When the in-flight resync request was sent (null: none in flight). */
  #pendingSince: number | null = null;
  #lastResyncAt = -Infinity;

  get seq(): number | null {
    return this.#seq;
  }

  /** The socket table may be missing changes until the next snapshot. */
  get stale(): boolean {
    return this.#stale;
  }

  get synced(): boolean {
    return this.#seq !== null;
  }

  /** Forget everything (new connection or new subscribe): wait for a snapshot. */
  reset(): void {
    this.#seq = null;
    this.#stale = false;
    this.#pendingSince = null;
  }

  /** A snapshot is authoritative: it replaces all state at its seq. */
  onSnapshot(seq: number): void {
    this.#seq = seq;
    this.#stale = false;
    this.#pendingSince = null;
  }

  onTick(seq: number, truncated: boolean, now: number): TickVerdict {
    if (this.#seq === null || seq <= this.#seq) return DROP;
    const inOrder = seq === this.#seq + 1 && !truncated && !this.#stale;
    this.#seq = seq;
    if (inOrder) return { counts: true, changes: true, resync: false };
    this.#stale = true;
    return { counts: true, changes: false, resync: this.#mayResync(now) };
  }

  #mayResync(now: number): boolean {
    if (this.#pendingSince !== null && now - this.#pendingSince < RESYNC_TIMEOUT_MS) return false;
    if (now - this.#lastResyncAt < RESYNC_MIN_INTERVAL_MS) return false;
    this.#pendingSince = now;
    this.#lastResyncAt = now;
    return true;
  }
}
