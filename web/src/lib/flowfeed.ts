// Everything the page holds about one port's connection flow: the latest
// figures (tiles), the "closed first by" chart columns, the lanes of recent
// connections and the live verdict. Snapshots, ticks, transitions and the
// HTTP answers go in; each says whether anything changed (redraw at the next
// frame). Pure, no DOM; times are Unix ms on the server's clock.

import type { Finding, Flow, FlowConns, PortVerdict, Snapshot, Tick, Transitions } from '../wire';
import { ClosesSeries } from './closes';
import { ConnLanes } from './connlanes';
import { CHART_WINDOW_MS } from './feed';

function events(f: Flow): number {
  const t = f.total;
  return t.opened + t.closedFirst.server + t.closedFirst.client + t.closedFirst.simultaneous + t.reset + t.timeWait.server + t.timeWait.client;
}

export class FlowFeed {
  readonly port: number;
  readonly closes: ClosesSeries;
  readonly lanes = new ConnLanes();
  /** The latest figures; null before the first. */
  flow: Flow | null = null;
  /** The live verdict (GET .../verdict), the answer first; null before the first answer. */
  findings: Finding[] | null = null;
  /** Local time (ms) of the last verdict answer; 0 before. */
  verdictAt = 0;
  /** Why the last verdict request failed ("" when it did not). */
  verdictError = '';
  /** Local time (ms) of the last list of connections applied; 0 before. */
  connectionsAt = 0;

  /**
   * @param port the watched port
   * @param intervalMs poll interval (sizes the chart window)
   * @param windowMs chart window
   */
  constructor(port: number, intervalMs: number, windowMs = CHART_WINDOW_MS) {
    this.port = port;
    this.closes = new ClosesSeries(Math.ceil(windowMs / Math.max(intervalMs, 10)) + 1);
  }

  get source(): 'ebpf' | 'polls' | null {
    return this.flow?.source ?? null;
  }

  /**
   * Takes newer figures. Transitions and ticks both carry them and may
   * cross on the way: figures that count fewer events than the ones shown
   * (same watch) are older and dropped, so a tile never steps back.
   */
  #setFlow(f: Flow | undefined): boolean {
    if (!f) return false;
    const cur = this.flow;
    if (cur && cur.since === f.since && events(f) < events(cur)) return false;
    this.flow = f;
    return true;
  }

  onSnapshot(s: Snapshot): boolean {
    if (s.port !== this.port || !s.flow) return false;
    this.#setFlow(s.flow);
    if (s.at > 0) this.closes.push(s.at, s.flow);
    return true;
  }

  onTick(t: Tick): boolean {
    if (t.port !== this.port || !t.flow) return false;
    this.#setFlow(t.flow);
    this.closes.push(t.at, t.flow);
    // Polls: what this poll saw open and close feeds the lanes (eBPF sends transitions instead).
    if (t.flow.source === 'polls' && t.changes?.length) this.lanes.onChanges(t.changes, t.at);
    return true;
  }

  onTransitions(m: Transitions): boolean {
    if (m.port !== this.port) return false;
    this.lanes.onEvents(m.events);
    if (m.dropped) this.lanes.dropped += m.dropped;
    this.#setFlow(m.flow);
    return true;
  }

  /** The server's list of connections that ended (on subscribe; periodically with polls). */
  onConnections(c: FlowConns, localNow: number): boolean {
    if (c.port !== this.port) return false;
    this.lanes.seed(c.connections, c.source);
    this.connectionsAt = localNow;
    return true;
  }

  onVerdict(v: PortVerdict, localNow: number): boolean {
    if (v.port !== this.port) return false;
    this.findings = v.findings;
    this.verdictAt = localNow;
    this.verdictError = '';
    return true;
  }

  onVerdictError(message: string): boolean {
    this.verdictError = message;
    return true;
  }
}
