// Real browser, real binary, real sockets: the Watch view tells who closed
// each connection first, live, and agrees with the API. Run as root, connlab
// counts from the kernel's transitions (eBPF); a second connlab started
// without capabilities (setpriv) counts from polls, and the page must mark
// every figure from it as a lower bound. Elsewhere (not root) the first one
// is on polls already and the eBPF-only assertions are left out.
//
// Run: npm run e2e (see watch.test.mjs for the environment).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TcpPeer, canvasColours, connlabBinary, eventually, getJSON, launchBrowser, outDir, startConnlab, watchErrors } from './harness.mjs';

/** Connections each test makes on its own port. */
const SERVER_CLOSES = 5; // the server closes first: TIME_WAIT on the server side
const CLIENT_CLOSES = 3; // the client closes first: TIME_WAIT on the client side
const RESETS = 1; // the client aborts with an RST: no TIME_WAIT, client first (it sent the RST)
const OPEN = 1; // left open
/** Lower-bound mark of polls figures. */
const GE = '≥ ';
/** Drops every capability: eBPF cannot load, the rest of connlab works (sock_diag needs none). */
const SETPRIV = '/usr/bin/setpriv';
const NO_CAPS = ['--bounding-set=-all', '--inh-caps=-all', '--ambient-caps=-all'];

/** @type {import('./harness.mjs').Connlab | undefined} */
let app;
/** @type {import('./harness.mjs').Connlab | undefined} */
let pollsApp;
/** @type {Awaited<ReturnType<typeof launchBrowser>> | undefined} */
let browser;
/** @type {TcpPeer[]} */
const peers = [];
const isRoot = process.getuid?.() === 0;

process.on('exit', () => {
  app?.proc.kill('SIGKILL');
  pollsApp?.proc.kill('SIGKILL');
});

/**
 * Makes the test's connections on a fresh port: SERVER_CLOSES closed by the
 * server, CLIENT_CLOSES by the client, RESETS reset by the client, OPEN left
 * open. Each close waits until both sockets are closed.
 * @param {TcpPeer} peer
 * @returns {Promise<Map<number, 'server' | 'client' | 'reset' | 'open'>>} client port -> how it ended
 */
async function traffic(peer) {
  /** @type {Map<number, 'server' | 'client' | 'reset' | 'open'>} */
  const how = new Map();
  const pairs = await peer.dial(SERVER_CLOSES + CLIENT_CLOSES + RESETS + OPEN);
  // Ports read now: a closed socket forgets them.
  const ports = pairs.map((p) => /** @type {number} */ (p.client.localPort));
  let i = 0;
  for (; i < SERVER_CLOSES; i++) {
    await TcpPeer.closeFrom(pairs[i], 'server');
    how.set(ports[i], 'server');
  }
  for (; i < SERVER_CLOSES + CLIENT_CLOSES; i++) {
    await TcpPeer.closeFrom(pairs[i], 'client');
    how.set(ports[i], 'client');
  }
  for (; i < SERVER_CLOSES + CLIENT_CLOSES + RESETS; i++) {
    const p = pairs[i];
    const closed = Promise.all([new Promise((r) => p.client.once('close', r)), new Promise((r) => p.server.once('close', r))]);
    p.client.resetAndDestroy();
    await closed;
    how.set(ports[i], 'reset');
  }
  for (; i < pairs.length; i++) how.set(ports[i], 'open');
  return how;
}

/**
 * The flow tiles as the page shows them.
 * @param {import('playwright-core').Page} page
 * @returns {Promise<Record<string, { value: string, n: number | null, total: number | null, lowerBound: boolean }>>}
 */
async function tiles(page) {
  return page.$$eval('[data-testid=flow-tiles] [data-testid^=flow-tile-]:not([data-testid=flow-tile-value]):not([data-testid=flow-tile-detail])', (els) =>
    Object.fromEntries(
      els.map((el) => {
        const num = (/** @type {string | null} */ v) => (v === null || v === '' ? null : Number(v));
        return [
          (el.getAttribute('data-testid') ?? '').replace('flow-tile-', ''),
          {
            value: el.querySelector('[data-testid=flow-tile-value]')?.textContent?.trim() ?? '',
            n: num(el.getAttribute('data-n')),
            total: num(el.getAttribute('data-total')),
            lowerBound: el.getAttribute('data-lower-bound') === 'true',
          },
        ];
      }),
    ),
  );
}

/**
 * The lanes as the page lists them: client port -> closer, reset, TIME_WAIT side.
 * @param {import('playwright-core').Page} page
 */
async function lanes(page) {
  const rows = await page.$$eval('[data-testid=flow-lane-list] li', (lis) =>
    lis.map((li) => ({ client: li.getAttribute('data-client') ?? '', closer: li.getAttribute('data-closer') ?? '', tw: li.getAttribute('data-tw') ?? '' })),
  );
  return new Map(rows.map((r) => [Number(r.client.slice(r.client.lastIndexOf(':') + 1)), r]));
}

/**
 * Opens the Watch view of a port at 1280×720 and waits for its first flow figures.
 * @param {string} url
 * @param {number} port
 */
async function openWatch(url, port) {
  assert.ok(browser);
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 1280, height: 720 });
  const errors = watchErrors(page);
  await page.goto(`${url}/watch/${port}`);
  await eventually('flow tiles', async () => (await page.getByTestId('flow-tiles').count()) === 1);
  await eventually('first verdict', async () => (await page.getByTestId('watch-finding').count()) > 0 || /No findings yet/.test(await page.getByTestId('watch-verdict').innerText()));
  return { page, errors };
}

/**
 * The connlab counting from the given source: as root, the first one uses
 * eBPF and the one without capabilities polls; elsewhere the first one
 * polls. Undefined when none here does.
 * @param {'ebpf' | 'polls'} source
 */
async function appFor(source) {
  for (const a of [app, pollsApp]) {
    if (a && (await getJSON(`${a.url}/api/system`)).transitions === source) return a;
  }
  return undefined;
}

/** Close counters the tiles and the API must agree on: tile id -> [API window figure, API total]. */
const COUNTERS = /** @type {const} */ ([
  ['closed-server', (/** @type {any} */ f) => [f.last60s.closedFirst.server, f.total.closedFirst.server]],
  ['closed-client', (/** @type {any} */ f) => [f.last60s.closedFirst.client, f.total.closedFirst.client]],
  ['closed-both', (/** @type {any} */ f) => [f.last60s.closedFirst.simultaneous, f.total.closedFirst.simultaneous]],
]);

describe('Watch: who closes first, in a real browser', { timeout: 180_000 }, () => {
  before(async () => {
    const bin = connlabBinary();
    app = await startConnlab(bin);
    // As root, a second connlab without capabilities: the polls source, for real.
    if (isRoot && fs.existsSync(SETPRIV)) pollsApp = await startConnlab(SETPRIV, [...NO_CAPS, bin, '-addr', '127.0.0.1:0']);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    browser = undefined;
    await app?.stop();
    await pollsApp?.stop();
    app = pollsApp = undefined;
    await Promise.all(peers.splice(0).map((p) => p.close()));
  });

  for (const source of /** @type {const} */ (['ebpf', 'polls'])) {
    test(`${source}: server-first and client-first closes: tiles = API, charts drawn, verdict with a Lab link, lanes with the closer`, async (t) => {
      assert.ok(app && browser);
      const target = await appFor(source);
      if (!target) {
        const why = source === 'ebpf' ? `connlab counts from polls here: ${(await getJSON(`${app.url}/api/system`)).transitionsNote}` : `root, but ${SETPRIV} is missing: cannot start a connlab without capabilities`;
        t.skip(why);
        return;
      }
      const url = target.url;
      const sys = await getJSON(`${url}/api/system`);
      assert.equal(sys.transitions, source);
      const exact = source === 'ebpf';
      const peer = new TcpPeer();
      peers.push(peer);
      const port = await peer.listen();
      const { page, errors } = await openWatch(url, port);

      // The page says which source is live, as the API does.
      assert.equal(await page.getByTestId('flow-panel').getAttribute('data-source'), sys.transitions);
      assert.equal(await page.getByTestId('flow-source-headline').innerText(), exact ? 'kernel transitions (eBPF): exact' : `polls every ${sys.intervalMs} ms: lower bounds`);

      const how = await traffic(peer);
      const closes = SERVER_CLOSES + CLIENT_CLOSES + RESETS;

      // The kernel's transitions count every connection exactly: the API says what this test did.
      const flow = await eventually(
        'API flow figures',
        async () => {
          const f = (await getJSON(`${url}/api/ports/${port}`)).flow;
          if (!exact) return f.total.closedFirst.server >= SERVER_CLOSES && f.total.closedFirst.client >= CLIENT_CLOSES ? f : false;
          return f.total.opened === closes + OPEN && f.total.closedFirst.server + f.total.closedFirst.client + f.total.closedFirst.simultaneous === closes ? f : false;
        },
        20_000,
      );
      if (exact) {
        assert.equal(flow.source, 'ebpf');
        assert.equal(flow.lowerBound, false);
        assert.deepEqual(flow.total.closedFirst, { server: SERVER_CLOSES, client: CLIENT_CLOSES + RESETS, simultaneous: 0 }, 'an RST sent by the client is a close by the client');
        assert.equal(flow.total.reset, RESETS);
        assert.deepEqual(flow.total.timeWait, { server: SERVER_CLOSES, client: CLIENT_CLOSES });
        assert.ok(flow.lifetimeMs.p50 > 0 && flow.lifetimeMs.n === closes, `lifetimes of ${closes} connections: ${JSON.stringify(flow.lifetimeMs)}`);
      }

      // The tiles equal the API's figures (nothing else uses this port: they hold still).
      const shown = await eventually('tiles = API', async () => {
        const [t, f] = [await tiles(page), (await getJSON(`${url}/api/ports/${port}`)).flow];
        for (const [id, pick] of COUNTERS) {
          const [w, total] = pick(f);
          assert.deepEqual([t[id].n, t[id].total], [w, total], `${id}: page ${JSON.stringify(t[id])}, API ${w} / ${total}`);
          assert.equal(t[id].value, exact ? String(w) : `${GE}${w}`, `${id} as shown`);
        }
        assert.equal(t.opened.total, f.total.opened);
        if (exact) {
          assert.deepEqual([t.reset.n, t.reset.total, t.reset.value], [f.last60s.reset, f.total.reset, String(f.last60s.reset)]);
          assert.equal(t.lifetime.n, f.lifetimeMs.p50);
        } else {
          assert.equal(t.reset.value, 'not seen');
          assert.equal(t.lifetime.value, 'not measured');
        }
        return t;
      });
      // The forecasts scale both sides' TIME_WAIT by the same window: their ratio is the API's
      // (up to the wire's rounding to 0.01).
      const ratio = Number(shown['tw-server'].n) / Number(shown['tw-client'].n);
      const want = flow.total.timeWait.server / flow.total.timeWait.client;
      assert.ok(Math.abs(ratio / want - 1) < 1e-3, `forecast ratio ${ratio}, want ${want}`);
      assert.match(shown['tw-server'].value, exact ? /^≈ \d+$/ : /^≥ \d+$/);

      // Both "closed first by" charts drew their closes, on one y scale.
      await eventually('charts drawn', async () => {
        const px = await canvasColours(page.locator('[data-testid=flow-chart] canvas'));
        assert.equal(px.length, 2, 'two charts');
        for (const [i, side] of ['server', 'client'].entries()) assert.ok(px[i].TIME_WAIT > 40, `${side} chart has closed-first pixels: ${JSON.stringify(px[i])}`);
        const ymax = await page.locator('[data-testid=flow-chart]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-ymax'))));
        assert.ok(ymax[0] > 0 && ymax[0] === ymax[1], `one y range for both sides: ${ymax}`);
        return true;
      });

      // The verdict card: the API's answer first, with its Lab link.
      const verdict = await eventually('verdict card = API', async () => {
        const api = await getJSON(`${url}/api/ports/${port}/verdict`);
        const ids = await page.getByTestId('watch-finding').evaluateAll((els) => els.map((e) => e.getAttribute('data-finding')));
        assert.deepEqual(
          ids,
          api.findings.map((/** @type {{id: string}} */ f) => f.id),
        );
        return api;
      });
      const answer = verdict.findings[0];
      assert.ok(answer.lab, `the answer names a Lab preset: ${JSON.stringify(answer)}`);
      const first = page.getByTestId('watch-finding').first();
      assert.equal(await first.getAttribute('data-finding'), answer.id);
      assert.ok(await first.evaluate((el) => el.classList.contains('headline')), 'the answer is the headline');
      const textPx = await first.getByTestId('watch-finding-text').evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
      assert.ok(textPx >= 24, `the answer is big: ${textPx} px`);
      const link = first.getByTestId('lab-link');
      assert.equal(await link.innerText(), 'Reproduce in the Lab');
      assert.equal(await link.getAttribute('href'), `/lab?preset=${answer.lab}`);

      // The lanes: one per connection, with the closer the API names.
      const conns = new Map((await getJSON(`${url}/api/ports/${port}/connections`)).connections.map((/** @type {any} */ c) => [Number(c.client.slice(c.client.lastIndexOf(':') + 1)), c]));
      await eventually('lanes = what happened', async () => {
        const got = await lanes(page);
        for (const [clientPort, end] of how) {
          const lane = got.get(clientPort);
          const api = conns.get(clientPort);
          if (!exact) {
            // Polls: only what left a TIME_WAIT is known; it must be the API's.
            if (api?.closedFirst && !api.reset) assert.equal(lane?.closer, api.closedFirst, `lane :${clientPort}`);
            continue;
          }
          assert.ok(lane, `a lane for :${clientPort}`);
          assert.equal(lane.closer, end, `lane :${clientPort} ended by ${end}: ${JSON.stringify(lane)}`);
          if (end === 'open') continue;
          assert.equal(end === 'reset' ? 'client' : end, api?.closedFirst, `API agrees on :${clientPort}`);
          assert.equal(lane.tw, end === 'reset' ? '' : end, `TIME_WAIT of :${clientPort} on the closer's side`);
        }
        return true;
      });
      const lanePx = await canvasColours(page.getByTestId('flow-swimlanes'));
      assert.ok(lanePx[0].TIME_WAIT > 100 && lanePx[0].ESTABLISHED > 100, `lanes drawn: ${JSON.stringify(lanePx)}`);

      // Screenshots of the Watch view with its flow, at both screen sizes.
      fs.mkdirSync(outDir, { recursive: true });
      await page.mouse.move(0, 0);
      await page.getByTestId('flow-panel').evaluate((el) => el.scrollIntoView());
      await page.screenshot({ path: path.join(outDir, `watch-flow-${source}-1280x720.png`) });
      await page.setViewportSize({ width: 1920, height: 1080 });
      await page.getByTestId('flow-panel').evaluate((el) => el.scrollIntoView());
      await eventually(
        'charts resized',
        async () =>
          (await page
            .locator('[data-testid=flow-chart] canvas')
            .first()
            .evaluate((c) => c.getBoundingClientRect().width)) > 700,
      );
      await page.screenshot({ path: path.join(outDir, `watch-flow-${source}-1920x1080.png`) });
      await page.screenshot({ path: path.join(outDir, `watch-flow-${source}-full.png`), fullPage: true });

      // The link opens the Lab on that preset.
      await link.click();
      await eventually('Lab on the preset', async () => page.url().endsWith(`/lab?preset=${answer.lab}`) && (await page.locator('#preset-a').inputValue()) === answer.lab);
      assert.deepEqual(errors, [], 'no console errors, page errors or failed requests');
      await page.close();
    });
  }

  test('from polls every figure is a lower bound, and the page says what polls miss', async (t) => {
    assert.ok(app && browser);
    const target = await appFor('polls');
    if (!target) {
      t.skip(`root, but ${SETPRIV} is missing: cannot start a connlab without capabilities`);
      return;
    }
    const url = target.url;
    const sys = await getJSON(`${url}/api/system`);
    assert.equal(sys.transitions, 'polls', `${url} counts from polls`);
    assert.ok(sys.transitionsNote, 'and says why');
    const peer = new TcpPeer();
    peers.push(peer);
    const port = await peer.listen();
    const { page, errors } = await openWatch(url, port);
    await traffic(peer);
    await eventually('polls saw the closes', async () => (await getJSON(`${url}/api/ports/${port}`)).flow.total.closedFirst.server >= SERVER_CLOSES);

    // The source, what polls miss, why eBPF is off and how to get exact counts.
    const flow = (await getJSON(`${url}/api/ports/${port}`)).flow;
    assert.equal(flow.source, 'polls');
    assert.equal(await page.getByTestId('flow-source-headline').innerText(), `polls every ${sys.intervalMs} ms: lower bounds`);
    const notes = await page.getByTestId('flow-source-notes').innerText();
    assert.ok(notes.includes(flow.missing), `notes say what polls miss ("${flow.missing}"): ${notes}`);
    assert.ok(notes.includes(sys.transitionsNote), 'notes say why eBPF is off');
    assert.match(notes, /setcap cap_bpf,cap_perfmon\+ep/);

    // Every count is marked as a lower bound, equal to the API's; resets and lifetimes are not shown as 0.
    await eventually('polls tiles = API, all lower bounds', async () => {
      const [shown, f] = [await tiles(page), (await getJSON(`${url}/api/ports/${port}`)).flow];
      assert.ok(f.total.closedFirst.server >= SERVER_CLOSES && f.total.closedFirst.server <= SERVER_CLOSES + RESETS, `server closes seen: ${JSON.stringify(f.total)}`);
      for (const [id, pick] of COUNTERS) {
        const [w, total] = pick(f);
        assert.deepEqual([shown[id].n, shown[id].total, shown[id].value], [w, total, `${GE}${w}`], id);
      }
      for (const [id, tile] of Object.entries(shown)) {
        assert.ok(tile.lowerBound, `${id} marked as a lower bound`);
        if (tile.n !== null) assert.ok(tile.value.startsWith(GE), `${id} shows "${tile.value}" with ≥`);
      }
      assert.equal(shown.reset.value, 'not seen');
      assert.equal(shown.lifetime.value, 'not measured');
      return true;
    });
    assert.match(await page.getByTestId('closes-server').innerText(), /at least \(polls\)/);
    assert.match(await page.getByTestId('flow-lanes-source').innerText(), /^From polls:/);
    // The lanes show the closes the polls saw, with the API's closer.
    const conns = (await getJSON(`${url}/api/ports/${port}/connections`)).connections;
    assert.ok(conns.length >= SERVER_CLOSES + CLIENT_CLOSES, `polls saw the closes: ${conns.length}`);
    await eventually('polls lanes = API', async () => {
      const got = await lanes(page);
      for (const c of conns) {
        const lane = got.get(Number(c.client.slice(c.client.lastIndexOf(':') + 1)));
        assert.equal(lane?.closer, c.closedFirst || 'unknown', `lane ${c.client}: ${JSON.stringify(lane)}`);
      }
      return true;
    });
    fs.mkdirSync(outDir, { recursive: true });
    await page.mouse.move(0, 0);
    await page.getByTestId('flow-panel').evaluate((el) => el.scrollIntoView());
    assert.deepEqual(errors, [], 'no console errors, page errors or failed requests');
    await page.close();
  });
});
