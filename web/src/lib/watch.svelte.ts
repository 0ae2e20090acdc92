// State of the Watch view: the watched ports, the selected one and its live
// feed and the system facts. Glue between the pure modules (PortFeed, Api),
// the page's shared websocket (Link) and the components; the heavy data
// (tables, chart columns) stays out of Svelte's reactivity and a single
// `revision` counter, bumped at most once per animation frame, tells the
// components to read it again.

import type { Hello, ServerMessage, System, WireError } from '../wire';
import { Api, ApiError } from './api';
import type { Connection, ConnStatus } from './conn';
import { PortFeed } from './feed';
import { FlowFeed } from './flowfeed';
import { FrameCoalescer } from './frame';
import type { Link } from './link.svelte';
import { PortSet } from './portset';

/** Poll interval assumed until the server's hello says otherwise, ms. */
const DEFAULT_INTERVAL_MS = 250;

export class WatchStore {
  ports = $state<number[]>([]);
  /** Set once the first GET /api/ports answered (or failed). */
  loaded = $state(false);
  selected = $state<number | null>(null);
  system = $state<System | null>(null);
  /** Last problem talking to the server (HTTP or a websocket error message). */
  problem = $state<string | null>(null);
  /** The selected port's live data; read it when `revision` changes. */
  feed = $state.raw<PortFeed | null>(null);
  revision = $state(0);
  /** The selected port's connection flow (who closes first, lanes, verdict); read it when `flowRevision` changes. */
  flow = $state.raw<FlowFeed | null>(null);
  /** Bumped at most once per frame, apart from `revision`: transitions arrive every few ms and redraw only the flow. */
  flowRevision = $state(0);

  readonly api: Api;
  readonly #set = new PortSet();
  readonly #link: Link;
  readonly #conn: Connection;
  /** The last hello seen (a new one after a reconnect may announce a new interval). */
  #hello: Hello | null = null;
  #off: (() => void)[] = [];
  readonly #frame = new FrameCoalescer(
    (cb) => window.requestAnimationFrame(cb),
    (id) => window.cancelAnimationFrame(id),
  );
  readonly #flowFrame = new FrameCoalescer(
    (cb) => window.requestAnimationFrame(cb),
    (id) => window.cancelAnimationFrame(id),
  );

  constructor(link: Link, api = new Api()) {
    this.api = api;
    this.#link = link;
    this.#conn = link.conn;
  }

  /** The websocket status (the page's shared link). */
  get status(): ConnStatus {
    return this.#link.status;
  }

  get hello(): Hello | null {
    return this.#link.hello;
  }

  /** Listens on the link and loads the watched ports and the system facts. */
  async start(): Promise<void> {
    this.#off.push(
      this.#link.on((m) => this.#onMessage(m)),
      this.#link.onReconnect(() => this.feed?.reset()),
    );
    await Promise.all([this.refreshPorts(), this.refreshSystem()]);
  }

  stop(): void {
    for (const off of this.#off.splice(0)) off();
    this.#frame.cancel();
    this.#flowFrame.cancel();
  }

  async refreshPorts(): Promise<void> {
    try {
      const token = this.#set.begin();
      const list = await this.api.ports();
      if (
        this.#set.fromFetch(
          list.map((p) => p.port),
          token,
        )
      )
        this.ports = [...this.#set.ports];
      this.problem = null;
    } catch (err) {
      this.problem = describe(err);
    } finally {
      this.loaded = true;
    }
  }

  async refreshSystem(): Promise<void> {
    try {
      this.system = await this.api.system();
      this.feed?.keep(this.system.historyMs);
    } catch (err) {
      this.problem = describe(err);
    }
  }

  /** Watches a port (POST /api/ports) and selects it; the error, if any, is returned for the form. */
  async add(port: number): Promise<ApiError | null> {
    if (!this.#set.has(port)) {
      this.#set.touch();
      try {
        await this.api.addPort(port);
      } catch (err) {
        // 409: watched already (added elsewhere, broadcast not here yet): fine.
        if (!(err instanceof ApiError)) return new ApiError(0, { code: 'unknown', message: describe(err) });
        if (err.status !== 409) return err;
      }
      this.#set.added(port, Date.now());
      this.ports = [...this.#set.ports];
    }
    this.select(port);
    return null;
  }

  /** Stops watching a port (DELETE /api/ports/{port}). */
  async remove(port: number): Promise<ApiError | null> {
    this.#set.touch();
    try {
      await this.api.removePort(port);
    } catch (err) {
      // Already gone elsewhere: drop it here too.
      if (!(err instanceof ApiError) || err.status !== 404) {
        return err instanceof ApiError ? err : new ApiError(0, { code: 'unknown', message: describe(err) });
      }
    }
    this.#set.removed(port, Date.now());
    this.ports = [...this.#set.ports];
    return null;
  }

  /** Shows one port: subscribes to it (and only it) and starts a fresh feed. */
  select(port: number | null): void {
    if (port === this.selected && (port === null || this.feed?.port === port)) return;
    if (this.selected !== null) this.#conn.unsubscribe(this.selected);
    this.selected = port;
    this.problem = null;
    this.feed = port === null ? null : new PortFeed(port, this.hello?.intervalMs || DEFAULT_INTERVAL_MS, this.system?.historyMs);
    this.flow = port === null ? null : new FlowFeed(port, this.hello?.intervalMs || DEFAULT_INTERVAL_MS);
    if (port !== null) this.#conn.subscribe(port);
    this.#bump();
    this.flowChanged();
  }

  #onMessage(m: ServerMessage): void {
    const now = Date.now();
    switch (m.type) {
      case 'hello': {
        const interval = this.#hello?.intervalMs;
        this.#hello = m;
        if (interval === undefined) break; // first hello: start() is loading the rest
        // A reconnect, maybe to a restarted server: reload what may have changed.
        if (interval !== m.intervalMs && this.feed) this.feed = new PortFeed(this.feed.port, m.intervalMs, this.system?.historyMs);
        if (interval !== m.intervalMs && this.flow) this.flow = new FlowFeed(this.flow.port, m.intervalMs);
        void this.refreshSystem();
        void this.refreshPorts();
        break;
      }
      case 'ports':
        // The view notices when the selected port left the set and moves on.
        this.#set.fromBroadcast(
          m.ports.map((p) => p.port),
          now,
        );
        this.ports = [...this.#set.ports];
        break;
      case 'snapshot':
        if (this.feed && m.port === this.feed.port) {
          this.feed.onSnapshot(m, now);
          this.problem = null;
          this.#bump();
        }
        if (this.flow?.onSnapshot(m)) this.flowChanged();
        break;
      case 'tick':
        if (this.feed && m.port === this.feed.port) {
          const u = this.feed.onTick(m, now);
          if (u.resync) this.#conn.resync(m.port);
          if (u.changed) this.#bump();
        }
        if (this.flow?.onTick(m)) this.flowChanged();
        break;
      case 'transitions':
        if (this.flow?.onTransitions(m)) this.flowChanged();
        break;
      case 'error':
        this.problem = errorText(m.error);
        break;
    }
  }

  /** The flow changed (a message, or a verdict fetched): redraw it at the next frame. */
  flowChanged(): void {
    this.#flowFrame.schedule(() => this.flowRevision++);
  }

  /** Redraw at the next frame (at most once per frame whatever the tick rate). */
  #bump(): void {
    this.#frame.schedule(() => this.revision++);
  }
}

function errorText(e: WireError): string {
  return e.message || e.code;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
