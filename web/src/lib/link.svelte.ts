// The page's one websocket to /ws, shared by the views: Watch subscribes
// ports, the Lab experiments. Owns the Connection (reconnect, backoff,
// resubscribe) and its status for the header; views register message and
// reconnect handlers. While the socket is down, `staleSince` says since
// when the figures have been frozen (lib/staleness.ts).

import type { Hello, ServerMessage } from '../wire';
import { browserDeps, Connection, wsURL, type ConnStatus } from './conn';
import { Freshness } from './staleness';

export type MessageHandler = (m: ServerMessage) => void;

export class Link {
  status = $state<ConnStatus>({ state: 'stopped', attempt: 0 });
  hello = $state<Hello | null>(null);
  /** Local time (ms) of the newest data shown while the link is down; null while live. */
  staleSince = $state<number | null>(null);
  readonly conn: Connection;
  /** Not reactive: a message arrives several times a second; only the status changes are. */
  readonly #fresh = new Freshness();
  // Listener sets: called, never rendered, so not reactive.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #handlers = new Set<MessageHandler>();
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #reconnect = new Set<() => void>();

  constructor() {
    this.conn = new Connection(wsURL(window.location), browserDeps(), {
      message: (m) => {
        this.#fresh.message(Date.now());
        for (const h of this.#handlers) h(m);
        if (m.type === 'hello') this.hello = m; // after the handlers: they may compare with the previous one
      },
      status: (s) => {
        this.status = s;
        this.staleSince = this.#fresh.status(s.state);
      },
      reconnected: () => {
        for (const f of this.#reconnect) f();
      },
    });
  }

  /** Calls fn with every server message; returns the unsubscribe. */
  on(fn: MessageHandler): () => void {
    this.#handlers.add(fn);
    return () => this.#handlers.delete(fn);
  }

  /** Calls fn after each reconnect (subscriptions re-sent: wait for fresh snapshots). */
  onReconnect(fn: () => void): () => void {
    this.#reconnect.add(fn);
    return () => this.#reconnect.delete(fn);
  }

  start(): void {
    this.conn.start();
  }

  stop(): void {
    this.conn.stop();
  }
}
