// The websocket connection to /ws: connects, keeps the set of subscribed
// ports and Lab experiments, resubscribes all of them after every reconnect, reconnects with
// capped exponential backoff, and reports its status. No DOM: the socket
// constructor and the timers are injected, so tests drive it with fakes.

import type { Request, ServerMessage } from '../wire';
import { Backoff } from './backoff';
import { parseServerMessage } from './messages';

/** The subset of the browser WebSocket this module uses. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

/** WebSocket.OPEN. */
const OPEN = 1;

export interface ConnDeps {
  connect(url: string): SocketLike;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
  now(): number;
  random(): number;
}

export type ConnState = 'connecting' | 'open' | 'waiting' | 'stopped';

export interface ConnStatus {
  state: ConnState;
  /** Failed attempts since the last healthy connection. */
  attempt: number;
  /** When state is "waiting": local time (ms) of the next attempt. */
  retryAt?: number;
}

export interface ConnHandlers {
  /** Every well-formed server message. */
  message(msg: ServerMessage): void;
  /** Status changes (for the header indicator). */
  status(s: ConnStatus): void;
  /** A new connection is up and every subscription was re-sent: reset per-port state. */
  reconnected?(): void;
}

/** Browser dependencies (the page); tests pass fakes. */
export function browserDeps(): ConnDeps {
  return {
    connect: (url) => new WebSocket(url) as unknown as SocketLike,
    setTimeout: (fn, ms) => window.setTimeout(fn, ms),
    clearTimeout: (id) => window.clearTimeout(id as number),
    now: () => Date.now(),
    random: Math.random,
  };
}

/** ws:// or wss:// URL of /ws at the page's origin. */
export function wsURL(loc: { protocol: string; host: string }): string {
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}/ws`;
}

export class Connection {
  readonly #url: string;
  readonly #deps: ConnDeps;
  readonly #h: ConnHandlers;
  readonly #backoff: Backoff;
  readonly #ports = new Set<number>();
  readonly #exps = new Set<string>();
  #ws: SocketLike | null = null;
  #timer: unknown = null;
  #status: ConnStatus = { state: 'stopped', attempt: 0 };

  constructor(url: string, deps: ConnDeps, handlers: ConnHandlers) {
    this.#url = url;
    this.#deps = deps;
    this.#h = handlers;
    this.#backoff = new Backoff(undefined, deps.random);
  }

  get status(): ConnStatus {
    return this.#status;
  }

  /** Ports currently subscribed (kept across reconnects). */
  get ports(): number[] {
    return [...this.#ports].sort((a, b) => a - b);
  }

  start(): void {
    if (this.#status.state !== 'stopped') return;
    this.#dial();
  }

  stop(): void {
    this.#clearTimer();
    const ws = this.#ws;
    this.#ws = null;
    if (ws) {
      detach(ws);
      ws.close(1000, 'bye');
    }
    this.#setStatus({ state: 'stopped', attempt: 0 });
  }

  subscribe(port: number): void {
    if (this.#ports.has(port)) return;
    this.#ports.add(port);
    this.#send({ type: 'subscribe', port });
  }

  unsubscribe(port: number): void {
    if (!this.#ports.delete(port)) return;
    this.#send({ type: 'unsubscribe', port });
  }

  /** Lab experiments currently subscribed (kept across reconnects). */
  get experiments(): string[] {
    return [...this.#exps].sort();
  }

  subscribeExperiment(id: string): void {
    if (this.#exps.has(id)) return;
    this.#exps.add(id);
    this.#send({ type: 'subscribe', experiment: id });
  }

  unsubscribeExperiment(id: string): void {
    if (!this.#exps.delete(id)) return;
    this.#send({ type: 'unsubscribe', experiment: id });
  }

  /** Asks for a fresh exp-snapshot of a subscribed experiment. */
  resyncExperiment(id: string): void {
    if (!this.#exps.has(id)) return;
    this.#send({ type: 'unsubscribe', experiment: id });
    this.#send({ type: 'subscribe', experiment: id });
  }

  /** Asks for a fresh snapshot of a subscribed port. */
  resync(port: number): void {
    if (!this.#ports.has(port)) return;
    this.#send({ type: 'unsubscribe', port });
    this.#send({ type: 'subscribe', port });
  }

  #send(r: Request): boolean {
    const ws = this.#ws;
    if (!ws || ws.readyState !== OPEN) return false; // re-sent on the next open
    ws.send(JSON.stringify(r));
    return true;
  }

  #dial(): void {
    this.#clearTimer();
    this.#setStatus({ state: 'connecting', attempt: this.#backoff.attempt });
    let ws: SocketLike;
    try {
      ws = this.#deps.connect(this.#url);
    } catch {
      this.#retry();
      return;
    }
    this.#ws = ws;
    ws.onopen = () => {
      if (this.#ws !== ws) return;
      for (const port of this.ports) this.#send({ type: 'subscribe', port });
      for (const experiment of this.experiments) this.#send({ type: 'subscribe', experiment });
      this.#h.reconnected?.();
    };
    ws.onmessage = (ev) => {
      if (this.#ws !== ws || typeof ev.data !== 'string') return;
      const msg = parseServerMessage(ev.data);
      if (!msg) return;
      if (msg.type === 'hello') {
        this.#backoff.reset();
        this.#setStatus({ state: 'open', attempt: 0 });
      }
      this.#h.message(msg);
    };
    ws.onerror = () => {
      // The close event follows and does the work.
    };
    ws.onclose = () => {
      if (this.#ws !== ws) return;
      detach(ws);
      this.#ws = null;
      this.#retry();
    };
  }

  #retry(): void {
    const delay = this.#backoff.next();
    const retryAt = this.#deps.now() + delay;
    this.#setStatus({ state: 'waiting', attempt: this.#backoff.attempt, retryAt });
    this.#timer = this.#deps.setTimeout(() => {
      this.#timer = null;
      this.#dial();
    }, delay);
  }

  #clearTimer(): void {
    if (this.#timer !== null) this.#deps.clearTimeout(this.#timer);
    this.#timer = null;
  }

  #setStatus(s: ConnStatus): void {
    this.#status = s;
    this.#h.status(s);
  }
}

function detach(ws: SocketLike): void {
  ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
}
