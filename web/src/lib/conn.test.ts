import { beforeEach, describe, expect, it } from 'vitest';
import type { ServerMessage } from '../wire';
import { Connection, wsURL, type ConnDeps, type ConnStatus, type SocketLike } from './conn';

class FakeSocket implements SocketLike {
  readyState = 0;
  sent: unknown[] = [];
  closed = false;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: unknown) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  constructor(readonly url: string) {}
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.closed = true;
    this.readyState = 3;
  }
  // test helpers
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  recv(msg: object) {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
  drop() {
    this.readyState = 3;
    this.onerror?.({});
    this.onclose?.({});
  }
}

function harness() {
  const sockets: FakeSocket[] = [];
  const timers: { fn: () => void; ms: number; id: number }[] = [];
  let now = 0;
  let nextId = 1;
  const deps: ConnDeps = {
    connect: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    setTimeout: (fn, ms) => {
      const id = nextId++;
      timers.push({ fn, ms, id });
      return id;
    },
    clearTimeout: (id) => {
      const i = timers.findIndex((t) => t.id === id);
      if (i >= 0) timers.splice(i, 1);
    },
    now: () => now,
    random: () => 0,
  };
  const messages: ServerMessage[] = [];
  const statuses: ConnStatus[] = [];
  let reconnects = 0;
  const conn = new Connection('ws://x/ws', deps, {
    message: (m) => messages.push(m),
    status: (s) => statuses.push(s),
    reconnected: () => reconnects++,
  });
  return {
    conn,
    sockets,
    timers,
    messages,
    statuses,
    get reconnects() {
      return reconnects;
    },
    last: () => sockets[sockets.length - 1],
    /** Fires the pending reconnect timer, returning its delay. */
    fireTimer(): number {
      const t = timers.shift();
      if (!t) throw new Error('no timer pending');
      now += t.ms;
      t.fn();
      return t.ms;
    },
  };
}

const hello = { type: 'hello', source: 'netlink', version: 'dev', go: 'go1.26', intervalMs: 250 };

describe('Connection', () => {
  let h: ReturnType<typeof harness>;
  beforeEach(() => {
    h = harness();
  });

  it('subscribes on open and reports open on hello', () => {
    h.conn.subscribe(8081); // before the socket is open: queued in the set
    h.conn.start();
    expect(h.last().url).toBe('ws://x/ws');
    expect(h.conn.status.state).toBe('connecting');
    h.last().open();
    expect(h.last().sent).toEqual([{ type: 'subscribe', port: 8081 }]);
    h.last().recv(hello);
    expect(h.conn.status).toEqual({ state: 'open', attempt: 0 });
    expect(h.messages[0].type).toBe('hello');
  });

  it('sends subscribe / unsubscribe / resync while open', () => {
    h.conn.start();
    h.last().open();
    h.conn.subscribe(1);
    h.conn.subscribe(1); // idempotent
    h.conn.subscribe(2);
    h.conn.unsubscribe(1);
    h.conn.unsubscribe(99); // not subscribed: nothing sent
    h.conn.resync(2);
    h.conn.resync(1); // not subscribed any more: nothing sent
    expect(h.last().sent).toEqual([
      { type: 'subscribe', port: 1 },
      { type: 'subscribe', port: 2 },
      { type: 'unsubscribe', port: 1 },
      { type: 'unsubscribe', port: 2 },
      { type: 'subscribe', port: 2 },
    ]);
    expect(h.conn.ports).toEqual([2]);
  });

  it('reconnects with capped exponential backoff and resubscribes every port', () => {
    h.conn.subscribe(8081);
    h.conn.subscribe(5432);
    h.conn.start();
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      h.last().drop(); // refused before open
      expect(h.conn.status.state).toBe('waiting');
      delays.push(h.fireTimer());
    }
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 10000, 10000]);
    expect(h.sockets.length).toBe(8);
    h.last().open();
    expect(h.last().sent).toEqual([
      { type: 'subscribe', port: 5432 },
      { type: 'subscribe', port: 8081 },
    ]);
    expect(h.reconnects).toBe(1);
    h.last().recv(hello);
    // A healthy connection resets the backoff.
    h.last().drop();
    expect(h.fireTimer()).toBe(500);
  });

  it('subscribes Lab experiments, resyncs them and resubscribes them after a reconnect', () => {
    h.conn.subscribeExperiment('e1'); // before open: queued
    h.conn.subscribe(8081);
    h.conn.start();
    h.last().open();
    expect(h.last().sent).toEqual([
      { type: 'subscribe', port: 8081 },
      { type: 'subscribe', experiment: 'e1' },
    ]);
    h.conn.subscribeExperiment('e1'); // idempotent
    h.conn.subscribeExperiment('e2');
    h.conn.resyncExperiment('e2');
    h.conn.resyncExperiment('nope'); // not subscribed: nothing sent
    h.conn.unsubscribeExperiment('e1');
    h.conn.unsubscribeExperiment('e1');
    expect(h.last().sent.slice(2)).toEqual([
      { type: 'subscribe', experiment: 'e2' },
      { type: 'unsubscribe', experiment: 'e2' },
      { type: 'subscribe', experiment: 'e2' },
      { type: 'unsubscribe', experiment: 'e1' },
    ]);
    expect(h.conn.experiments).toEqual(['e2']);
    h.last().drop();
    h.fireTimer();
    h.last().open();
    expect(h.last().sent).toEqual([
      { type: 'subscribe', port: 8081 },
      { type: 'subscribe', experiment: 'e2' },
    ]);
  });

  it('status carries the attempt and the retry time', () => {
    h.conn.start();
    h.last().drop();
    expect(h.conn.status).toEqual({ state: 'waiting', attempt: 1, retryAt: 500 });
  });

  it('ignores events from a socket it has replaced, and malformed messages', () => {
    h.conn.start();
    const first = h.last();
    first.drop();
    h.fireTimer();
    first.recv(hello); // detached: ignored
    expect(h.messages).toEqual([]);
    h.last().open();
    h.last().onmessage?.({ data: 'not json' });
    h.last().onmessage?.({ data: '{"type":"nope"}' });
    expect(h.messages).toEqual([]);
  });

  it('stop closes the socket and cancels the pending reconnect', () => {
    h.conn.start();
    h.last().drop();
    expect(h.timers.length).toBe(1);
    h.conn.stop();
    expect(h.timers.length).toBe(0);
    expect(h.conn.status.state).toBe('stopped');
    h.conn.start();
    h.last().open();
    h.conn.stop();
    expect(h.sockets[1].closed).toBe(true);
    expect(h.timers.length).toBe(0);
  });

  it('builds the ws URL from the page location', () => {
    expect(wsURL({ protocol: 'http:', host: '127.0.0.1:9000' })).toBe('ws://127.0.0.1:9000/ws');
    expect(wsURL({ protocol: 'https:', host: 'example.test' })).toBe('wss://example.test/ws');
  });
});
