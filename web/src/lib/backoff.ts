// Capped exponential backoff with jitter, for websocket reconnects.
// Pure: the random source is injected so tests are deterministic.

export interface BackoffOptions {
  /** First delay, ms. */
  initialMs: number;
  /** Cap on any delay, ms. */
  maxMs: number;
  /** Growth per attempt. */
  factor: number;
  /** Fraction of the delay that is randomised (0 = none, 1 = "full jitter"). */
  jitter: number;
}

/** Reconnect policy: 0.5 s doubling to 10 s, each delay drawn from [50%, 100%] of its step. */
export const RECONNECT_BACKOFF: BackoffOptions = {
  initialMs: 500,
  maxMs: 10_000,
  factor: 2,
  jitter: 0.5,
};

export class Backoff {
  #attempt = 0;
  readonly #opts: BackoffOptions;
  readonly #random: () => number;

  constructor(opts: BackoffOptions = RECONNECT_BACKOFF, random: () => number = Math.random) {
    this.#opts = opts;
    this.#random = random;
  }

  /** Attempts made since the last reset. */
  get attempt(): number {
    return this.#attempt;
  }

  /** The delay before the next attempt, ms; advances the attempt counter. */
  next(): number {
    const { initialMs, maxMs, factor, jitter } = this.#opts;
    const step = Math.min(maxMs, initialMs * factor ** this.#attempt);
    this.#attempt++;
    const r = Math.min(Math.max(this.#random(), 0), 1);
    return Math.round(step * (1 - jitter * r));
  }

  /** Back to the first delay (after a connection proved healthy). */
  reset(): void {
    this.#attempt = 0;
  }
}
