// Estimates the server's clock from the poll times it sends, so countdowns
// (TIME_WAIT: timerMs at the poll) can run locally between ticks even when
// the browser's clock differs from the server's.

export class ServerClock {
  /** local - server, ms; null until the first observation. */
  #offset: number | null = null;

  /**
   * Records that a message stamped `serverMs` (the poll time) arrived at
   * `localMs`. The offset includes the delivery delay, which makes countdowns
   * read a little low rather than high.
   */
  observe(serverMs: number, localMs: number): void {
    if (!serverMs) return;
    this.#offset = localMs - serverMs;
  }

  /** The server's time now, given the local time. */
  now(localMs: number): number {
    return this.#offset === null ? localMs : localMs - this.#offset;
  }
}
