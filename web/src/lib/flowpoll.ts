// Keeps a shown port's live verdict (and, with the polls source, its list of
// recent connections) fresh over HTTP: the list once on start, then every
// POLL_EVERY_MS the verdict (plus the list when `polls` is on), one request
// of each kind at a time; refresh() asks now. stop() ends it: the owner (the
// component showing the port) stops it when the port or the view goes away.
// The fetches and timers are injected: tests drive it with fakes.

import type { FlowConns, PortVerdict } from '../wire';

/** Period of the verdict (and, with polls, connections) refresh, ms. */
export const POLL_EVERY_MS = 2000;

export interface FlowPollDeps {
  verdict(port: number): Promise<PortVerdict>;
  connections(port: number): Promise<FlowConns>;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

export interface FlowPollHandlers {
  verdict(v: PortVerdict): void;
  connections(c: FlowConns): void;
  /** A request failed (the message to show); the next round tries again. */
  error(what: 'verdict' | 'connections', message: string): void;
}

export class FlowPoller {
  readonly port: number;
  /** Also refresh the list of connections each round (the polls source: lanes have no event stream). */
  polls = false;
  readonly #deps: FlowPollDeps;
  readonly #h: FlowPollHandlers;
  #timer: unknown = null;
  #running = false;
  #again = false;
  #stopped = true;
  #rounds = 0;

  constructor(port: number, deps: FlowPollDeps, handlers: FlowPollHandlers) {
    this.port = port;
    this.#deps = deps;
    this.#h = handlers;
  }

  /** Rounds completed (for tests and the page's "updated" line). */
  get rounds(): number {
    return this.#rounds;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    void this.#round(true);
  }

  /** Fetch now (on demand): at once, or right after the round in flight. */
  refresh(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#clear();
    void this.#round(false);
  }

  stop(): void {
    this.#stopped = true;
    this.#again = false;
    this.#clear();
  }

  #clear(): void {
    if (this.#timer !== null) this.#deps.clearTimeout(this.#timer);
    this.#timer = null;
  }

  async #round(first: boolean): Promise<void> {
    this.#running = true;
    const port = this.port;
    const jobs: Promise<void>[] = [
      this.#deps.verdict(port).then(
        (v) => void (this.#stopped || this.#h.verdict(v)),
        (err) => void (this.#stopped || this.#h.error('verdict', message(err))),
      ),
    ];
    if (first || this.polls) {
      jobs.push(
        this.#deps.connections(port).then(
          (c) => void (this.#stopped || this.#h.connections(c)),
          (err) => void (this.#stopped || this.#h.error('connections', message(err))),
        ),
      );
    }
    await Promise.all(jobs);
    this.#running = false;
    this.#rounds++;
    if (this.#stopped) return;
    if (this.#again) {
      this.#again = false;
      void this.#round(false);
      return;
    }
    this.#timer = this.#deps.setTimeout(() => {
      this.#timer = null;
      if (!this.#stopped) void this.#round(false);
    }, POLL_EVERY_MS);
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
