import { beforeEach, describe, expect, it } from 'vitest';
import type { ExperimentResult, ServerMessage, SpecJSON } from '../../wire';
import { Api } from '../api';
import { CLIENT_DISABLE, lane, result, timeline, update } from './fixtures';
import { encodeRunFile, RUN_FILE_VERSION, runFileOf } from './runfile';
import SCHEMA from './schema.fixture.json';
import { LabStore, type LabLink } from './lab.svelte';

const KEEPALIVE: SpecJSON = { ...CLIENT_DISABLE, preset: 'keepalive-default', client: { ...CLIENT_DISABLE.client, disableKeepAlives: false } };
const PRESETS = [
  { name: 'keepalive-default', question: 'q1', lookAt: 'l1', spec: KEEPALIVE },
  { name: 'client-disable-keepalive', question: 'q2', lookAt: 'l2', spec: CLIENT_DISABLE },
];

type Reply = { status: number; body?: unknown };

/** A fake connlab API: records requests, answers POSTs from a queue. */
function fakeServer() {
  const calls: { method: string; path: string; body?: unknown }[] = [];
  const posts: Reply[] = [];
  const listed: unknown[] = [];
  const kept = new Map<string, ExperimentResult>();
  let nextId = 1;
  const fetch = async (path: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const method = init?.method ?? 'GET';
    const body = init?.body ? JSON.parse(String(init.body)) : undefined;
    calls.push({ method, path: String(path), body });
    const json = (status: number, b?: unknown) => new Response(b === undefined ? null : JSON.stringify(b), { status });
    if (path === '/api/presets') return json(200, PRESETS);
    if (path === '/api/schema') return json(200, SCHEMA);
    if (path === '/api/experiments' && method === 'GET') return json(200, listed);
    const one = /^\/api\/experiments\/([^/]+)$/.exec(String(path));
    if (one && method === 'GET') {
      const r = kept.get(one[1]);
      return r ? json(200, r) : json(404, { error: { code: 'not_found', message: 'no experiment' } });
    }
    if (String(path).endsWith('/skip-observe') && method === 'POST')
      return json(kept.has(String(path).split('/')[3]) ? 204 : 404, kept.has(String(path).split('/')[3]) ? undefined : { error: { code: 'not_found', message: 'no' } });
    if (path === '/api/experiments' && method === 'POST') {
      const r = posts.shift() ?? { status: 201, body: { id: `e${nextId++}`, status: 'running' } };
      return json(r.status, r.body);
    }
    if (method === 'DELETE') return json(204);
    return json(404, { error: { code: 'not_found', message: 'no' } });
  };
  return { api: new Api(fetch as typeof globalThis.fetch), calls, posts, listed, kept };
}

function fakeLink() {
  const sent: string[] = [];
  let handler: ((m: ServerMessage) => void) | null = null;
  let reconnect: (() => void) | null = null;
  const link: LabLink = {
    hello: { version: 'v-test' },
    conn: {
      subscribeExperiment: (id) => sent.push(`sub ${id}`),
      unsubscribeExperiment: (id) => sent.push(`unsub ${id}`),
      resyncExperiment: (id) => sent.push(`resync ${id}`),
    },
    on: (fn) => {
      handler = fn;
      return () => (handler = null);
    },
    onReconnect: (fn) => {
      reconnect = fn;
      return () => (reconnect = null);
    },
  };
  return { link, sent, recv: (m: ServerMessage) => handler?.(m), reconnect: () => reconnect?.() };
}

const noFrames = { request: (cb: () => void) => (cb(), 1), cancel: () => {} };

describe('LabStore', () => {
  let srv: ReturnType<typeof fakeServer>;
  let ws: ReturnType<typeof fakeLink>;
  let lab: LabStore;
  beforeEach(async () => {
    srv = fakeServer();
    ws = fakeLink();
    lab = new LabStore(ws.link, srv.api, noFrames);
    await lab.start();
  });

  it('opens on the default preset with the UI observe, and writes only changes to the URL', () => {
    expect(lab.loaded).toBe(true);
    expect(lab.a.preset).toBe('client-disable-keepalive');
    expect(lab.a.values.observe).toBe(65e9);
    expect(lab.query()).toBe('?preset=client-disable-keepalive');
    lab.setValue('a', 'requests', 10);
    expect(lab.query()).toBe('?preset=client-disable-keepalive&requests=10');
    lab.applyQuery('?preset=keepalive-default&observe=2s&compare=client-disable-keepalive&b.server.delay=1s');
    expect(lab.a.preset).toBe('keepalive-default');
    expect(lab.b?.values['server.delay']).toBe(1e9);
    expect(lab.b?.values.observe).toBe(2e9);
  });

  it('runs: POSTs the full spec, subscribes, applies updates, unsubscribes after the final one', async () => {
    lab.setValue('a', 'requests', 10);
    await lab.run();
    const post = srv.calls.find((c) => c.method === 'POST');
    expect(post?.body).toMatchObject({ preset: 'client-disable-keepalive', requests: 10, observe: '1m5s', client: { disableKeepAlives: true } });
    expect(ws.sent).toEqual(['sub e1']);
    const run = lab.runs.a!;
    expect(lab.running).toBe(true); // started, before its snapshot: Stop is offered at once
    ws.recv({ type: 'exp-snapshot', id: 'e1', seq: 0, result: result({ id: 'e1' }) });
    expect(lab.running).toBe(true);
    ws.recv({ ...update(1), id: 'e1', progress: { ...result().progress, requestsDone: 5 } });
    expect(run.facts?.progress.requestsDone).toBe(5);
    ws.recv({ ...update(3), id: 'e1' }); // gap
    expect(ws.sent).toEqual(['sub e1', 'resync e1']);
    ws.recv({ type: 'exp-snapshot', id: 'e1', seq: 3, result: result({ id: 'e1' }) });
    ws.recv({ ...update(4), id: 'e1', status: 'completed', done: true });
    expect(lab.running).toBe(false);
    expect(ws.sent).toEqual(['sub e1', 'resync e1', 'unsub e1']);
    // Messages of other experiments are ignored.
    ws.recv({ ...update(5), id: 'zzz' });
  });

  it('a 400 naming a field lands next to that field', async () => {
    srv.posts.push({ status: 400, body: { error: { code: 'invalid_spec', message: 'must be at most 10m0s, got 11m0s', field: 'server.idleTimeout' } } });
    await lab.run();
    expect(lab.errors.a).toEqual({ 'server.idleTimeout': 'must be at most 10m0s, got 11m0s' });
    expect(lab.problem).toContain('server.idleTimeout');
    expect(lab.runs.a).toBeNull();
    lab.setValue('a', 'server.idleTimeout', 1e9); // editing the field clears its error
    expect(lab.errors.a).toEqual({});
  });

  it('local checks block the run before any request', async () => {
    lab.setValue('a', 'concurrency', 0);
    await lab.run();
    expect(srv.calls.some((c) => c.method === 'POST')).toBe(false);
    expect(lab.errors.a.concurrency).toBeDefined();
  });

  it('compare: both start together, sharing the workload; one refused stops the other', async () => {
    lab.setValue('a', 'requests', 10);
    lab.compareWith('keepalive-default');
    lab.setValue('b', 'requests', 99); // workload: set on a, for both
    expect(lab.a.values.requests).toBe(99);
    expect(lab.b?.values.requests).toBe(99);
    lab.setValue('b', 'server.delay', 5e6);
    expect(lab.a.values['server.delay']).toBe(0);
    srv.posts.push({ status: 201, body: { id: 'ok1' } }, { status: 429, body: { error: { code: 'too_many_experiments', message: '4 experiments are running' } } });
    await lab.run();
    expect(lab.runs).toEqual({ a: null, b: null });
    expect(lab.problem).toContain('4 experiments are running');
    expect(srv.calls.some((c) => c.method === 'DELETE' && c.path === '/api/experiments/ok1')).toBe(true);
    await lab.run();
    const posts = srv.calls.filter((c) => c.method === 'POST').slice(-2);
    expect(posts.map((p) => (p.body as SpecJSON).preset)).toEqual(['client-disable-keepalive', 'keepalive-default']);
    expect(posts.map((p) => (p.body as SpecJSON).requests)).toEqual([99, 99]);
    expect(lab.runs.a && lab.runs.b).toBeTruthy();
    expect(ws.sent.slice(-2)).toEqual([`sub ${lab.runs.a!.id}`, `sub ${lab.runs.b!.id}`]);
  });

  it('attaching a run found on the server takes its spec into the form', () => {
    lab.attach('x9');
    expect(ws.sent).toEqual(['sub x9']);
    const spec = { ...KEEPALIVE, requests: 7, observe: '20s' };
    ws.recv({ type: 'exp-snapshot', id: 'x9', seq: 4, result: result({ id: 'x9', preset: 'keepalive-default', spec }) });
    expect(lab.a.preset).toBe('keepalive-default');
    expect(lab.query()).toBe('?preset=keepalive-default&requests=7&observe=20s');
    expect(lab.runs.a?.facts?.id).toBe('x9');
  });

  it('stop DELETEs what runs; a reconnect waits for fresh snapshots', async () => {
    await lab.run();
    ws.recv({ type: 'exp-snapshot', id: 'e1', seq: 0, result: result({ id: 'e1' }) });
    await lab.stopRuns();
    expect(srv.calls.some((c) => c.method === 'DELETE' && c.path === '/api/experiments/e1')).toBe(true);
    ws.reconnect();
    ws.recv({ ...update(1), id: 'e1', progress: { ...result().progress, requestsDone: 7 } });
    expect(lab.runs.a?.facts?.progress.requestsDone).toBe(0); // dropped until the new snapshot
  });

  const done = (over: Partial<ExperimentResult> = {}) =>
    result({ status: 'completed', progress: { ...result().progress, phase: 'done', elapsedMs: 3000 }, lanes: [lane(1), lane(2)], lanesTotal: 2, timeline: timeline([[1_000_100, 1, 0]]), ...over });
  const fileOf = (text: string, name = 'run.json') => ({ name, size: new TextEncoder().encode(text).length, text: async () => text });

  it('lists what the server lists and shows a finished run in full, taking its spec', async () => {
    srv.listed.push({ id: 'f1', preset: 'keepalive-default', status: 'completed', startedAtMs: 5 });
    srv.kept.set('f1', done({ id: 'f1', preset: 'keepalive-default', spec: KEEPALIVE }));
    await lab.refreshOthers();
    expect(lab.listed.map((e) => e.id)).toEqual(['f1']);
    await lab.showFinished('f1');
    expect(lab.runs.a?.id).toBe('f1');
    expect(lab.runs.a?.laneList()).toHaveLength(2);
    expect(lab.a.preset).toBe('keepalive-default');
    expect(ws.sent).toEqual([]); // finished: nothing to follow
    await lab.showFinished('gone');
    expect(lab.problem).toMatch(/no longer kept/);
    expect(lab.runs.a?.id).toBe('f1');
  });

  it('replays a run file, frozen, and Back restores what was shown', async () => {
    await lab.run();
    ws.recv({ type: 'exp-snapshot', id: 'e1', seq: 0, result: result({ id: 'e1' }) });
    expect(await lab.openFile(fileOf(encodeRunFile(runFileOf(done({ id: 'r9' }), 'v1', new Date()))))).toBe(false);
    expect(lab.fileProblem).toMatch(/stop the run first/);
    ws.recv({ ...update(1), id: 'e1', status: 'completed', done: true });
    const before = lab.runs.a;
    lab.setValue('a', 'requests', 7);

    const file = runFileOf(done({ id: 'r9', preset: 'keepalive-default', spec: KEEPALIVE }), 'v1', new Date());
    expect(await lab.openFile(fileOf(encodeRunFile(file), 'r9.json'))).toBe(true);
    expect(lab.fileProblem).toBeNull();
    expect(lab.replay?.name).toBe('r9.json');
    expect(lab.runs.a?.id).toBe('r9');
    expect(lab.runs.a?.frozen).toBe(true);
    expect(lab.running).toBe(false);
    expect(lab.a.preset).toBe('keepalive-default');
    // Messages for an experiment of the same id do not touch the replay.
    ws.recv({ ...update(1), id: 'r9', status: 'running' });
    expect(lab.runs.a?.facts?.status).toBe('completed');
    // The download of a replay is the file's own result.
    const again = await lab.runFile('a');
    expect(again.result).toEqual(file.result);
    expect(again.connlab).toBe('v-test');

    lab.endReplay();
    expect(lab.replay).toBeNull();
    expect(lab.runs.a).toBe(before);
    expect(lab.a.preset).toBe('client-disable-keepalive');
    expect(lab.a.values.requests).toBe(7);
  });

  it('a bad file changes nothing on screen and says why', async () => {
    srv.kept.set('f1', done({ id: 'f1' }));
    await lab.showFinished('f1');
    const shown = lab.runs.a;
    for (const [text, why] of [
      ['not json', /not JSON/],
      [JSON.stringify({ ...runFileOf(done(), 'v', new Date()), version: RUN_FILE_VERSION + 1 }), /newer connlab/],
      [JSON.stringify({ format: 'connlab-run', version: 1, result: { id: 'x' } }), /damaged/],
    ] as const) {
      expect(await lab.openFile(fileOf(text, 'bad.json'))).toBe(false);
      expect(lab.fileProblem).toMatch(why);
      expect(lab.fileProblem).toMatch(/^bad\.json: /);
      expect(lab.runs.a).toBe(shown);
      expect(lab.replay).toBeNull();
    }
    expect(
      await lab.openFile({
        name: 'huge.json',
        size: 1 << 30,
        text: async () => {
          throw new Error('must not be read');
        },
      }),
    ).toBe(false);
    expect(lab.fileProblem).toMatch(/larger than/);
  });

  it('downloads a server run as the server’s whole result', async () => {
    srv.kept.set('f1', done({ id: 'f1', lanes: [lane(1), lane(2), lane(3)], lanesTotal: 3 }));
    await lab.showFinished('f1');
    const f = await lab.runFile('a');
    expect(f.format).toBe('connlab-run');
    expect(f.result.lanes).toHaveLength(3);
  });

  it('skips the observe phase of the shown runs in it', async () => {
    await lab.run();
    srv.kept.set('e1', result({ id: 'e1' }));
    ws.recv({ type: 'exp-snapshot', id: 'e1', seq: 0, result: result({ id: 'e1' }) });
    expect(lab.observing).toBe(false); // workload
    await lab.skipObserve();
    expect(srv.calls.some((c) => c.path.endsWith('/skip-observe'))).toBe(false);
    ws.recv({ ...update(1), id: 'e1', progress: { ...result().progress, phase: 'observe' } });
    expect(lab.observing).toBe(true);
    await lab.skipObserve();
    expect(srv.calls.filter((c) => c.method === 'POST' && c.path === '/api/experiments/e1/skip-observe')).toHaveLength(1);
    expect(lab.problem).toBeNull();
  });
});
