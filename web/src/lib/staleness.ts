// How old the page's figures are while the websocket is down. Live figures
// arrive several times a second; once the link drops they stop changing, so
// the page dims them and says how old they are ("data from 42 s ago —
// reconnecting") until the link is back. Pure: time is passed in.

import type { ConnState } from './conn';

/**
 * Tracks when data last arrived and, once the link is down, since when the
 * figures have been frozen. Fed by the websocket (Link).
 */
export class Freshness {
  /** Local time (ms) of the last server message; 0 before any. */
  #last = 0;
  #since: number | null = null;

  /** A server message arrived at `now`. */
  message(now: number): void {
    this.#last = now;
  }

  /**
   * The link state changed; returns `since`. Going down freezes the time of
   * the last message; coming back ("open": the server said hello) clears it.
   */
  status(state: ConnState): number | null {
    if (state === 'open') this.#since = null;
    else if (this.#since === null && this.#last > 0) this.#since = this.#last;
    return this.#since;
  }

  /** Local time (ms) of the newest data shown while the link is down; null while live or before any data. */
  get since(): number | null {
    return this.#since;
  }
}

/** "42 s", "2 min 05 s", "1 h 03 min": an age a room reads at a glance. */
export function ageText(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const p = (n: number) => String(n).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)} min ${p(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${p(Math.floor((s % 3600) / 60))} min`;
}

/** The notice shown while figures are frozen, or null while live (or before any data). */
export function staleText(state: ConnState, since: number | null, now: number): string | null {
  if (state === 'open' || since === null) return null;
  const what = state === 'stopped' ? 'not connected' : 'reconnecting';
  return `data from ${ageText(now - since)} ago — ${what}`;
}
