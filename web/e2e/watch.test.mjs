// Real browser, real binary, real sockets: the Watch view shows what the
// kernel holds for a port, and agrees with the API.
//
// Run: npm run e2e (builds ../test-output/connlab unless CONNLAB_BIN is set;
// CHROMIUM names the browser, default /usr/bin/chromium).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TcpPeer, canvasColours, connlabBinary, eventually, getJSON, launchBrowser, outDir, startConnlab, stopProcess, watchErrors } from './harness.mjs';

/** Connections this test makes on its own port, and what the kernel must show. */
const OPEN = 3; // left ESTABLISHED: 3 on each side
const SERVER_CLOSES = 2; // server closes first: TIME_WAIT on the server side
const CLIENT_CLOSES = 4; // client closes first: TIME_WAIT on the client side

/** State colours the charts must have drawn (web/src/lib/states.ts). */

/** @type {import('./harness.mjs').Connlab | undefined} */
let app;
/** @type {Awaited<ReturnType<typeof launchBrowser>> | undefined} */
let browser;
/** @type {TcpPeer[]} */
const peers = [];

/** Kill everything this file started, whatever happened. */
async function cleanup() {
  await browser?.close();
  browser = undefined;
  if (app) await app.stop();
  app = undefined;
  await Promise.all(peers.splice(0).map((p) => p.close()));
}
process.on('exit', () => app?.proc.kill('SIGKILL'));

/**
 * @param {string} url
 * @param {number} port
 * @returns {Promise<{ server: Record<string, number>, client: Record<string, number> }>}
 */
async function apiCounts(url, port) {
  const st = await getJSON(`${url}/api/ports/${port}`);
  return { server: st.counts.server ?? {}, client: st.counts.client ?? {} };
}

/**
 * The four big numbers as the page shows them.
 * @param {import('playwright-core').Page} page
 */
async function tiles(page) {
  /** @param {string} id */
  const read = async (id) => Number((await page.getByTestId(id).getByTestId('tile-value').innerText()).replace(/,/g, ''));
  return {
    server: { ESTABLISHED: await read('tile-server-ESTABLISHED'), TIME_WAIT: await read('tile-server-TIME_WAIT') },
    client: { ESTABLISHED: await read('tile-client-ESTABLISHED'), TIME_WAIT: await read('tile-client-TIME_WAIT') },
  };
}

/**
 * Table rows by side and state.
 * @param {import('playwright-core').Page} page
 */
async function tableCounts(page) {
  return page.$$eval('[data-testid=socket-table] tbody tr[data-side]', (rows) => {
    /** @type {Record<string, number>} */
    const m = {};
    for (const r of rows) {
      const k = `${r.getAttribute('data-side')} ${r.getAttribute('data-state')}`;
      m[k] = (m[k] ?? 0) + 1;
    }
    return m;
  });
}

describe('Watch view in a real browser', { timeout: 180_000 }, () => {
  before(async () => {
    const bin = connlabBinary();
    app = await startConnlab(bin);
    browser = await launchBrowser();
  });
  after(cleanup);

  test('a port added in the UI shows its real sockets, as the API counts them', async () => {
    assert.ok(app && browser);
    const url = app.url;
    const peer = new TcpPeer();
    peers.push(peer);
    const port = await peer.listen();

    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    /** @type {{ type: string, port?: number }[]} */
    const sent = [];
    page.on('websocket', (ws) => ws.on('framesent', (f) => sent.push(JSON.parse(String(f.payload)))));
    await page.goto(`${url}/watch`);
    await eventually('websocket live', async () => (await page.getByTestId('conn-status').getAttribute('data-state')) === 'open');

    // A bad port is refused next to the field, nothing is sent.
    await page.locator('#port-input').fill('70000');
    await page.getByRole('button', { name: 'Add' }).click();
    await eventually('field error', async () => /1 to 65535/.test(await page.getByTestId('port-error').innerText()));

    await page.locator('#port-input').fill(String(port));
    await page.getByRole('button', { name: 'Add' }).click();
    await eventually('URL /watch/<port>', () => page.url().endsWith(`/watch/${port}`));
    await eventually('panel for the port', async () => (await page.getByTestId('port-panel').getAttribute('data-port')) === String(port));
    const watched = await getJSON(`${url}/api/ports`);
    assert.ok(
      watched.some((/** @type {{port:number}} */ p) => p.port === port),
      'POST /api/ports happened',
    );

    // Real connections: some stay open, some closed by the server, some by the client.
    const pairs = await peer.dial(OPEN + SERVER_CLOSES + CLIENT_CLOSES);
    for (const p of pairs.slice(OPEN, OPEN + SERVER_CLOSES)) await TcpPeer.closeFrom(p, 'server');
    for (const p of pairs.slice(OPEN + SERVER_CLOSES)) await TcpPeer.closeFrom(p, 'client');

    // The kernel, through the API, sees exactly what we did (TIME_WAIT lasts 60 s: well past this test).
    const want = {
      server: { ESTABLISHED: OPEN, TIME_WAIT: SERVER_CLOSES },
      client: { ESTABLISHED: OPEN, TIME_WAIT: CLIENT_CLOSES },
    };
    const api = await eventually('API counts', async () => {
      const c = await apiCounts(url, port);
      const ok = c.server.ESTABLISHED === OPEN && c.server.TIME_WAIT === SERVER_CLOSES && c.server.LISTEN === 1 && c.client.ESTABLISHED === OPEN && c.client.TIME_WAIT === CLIENT_CLOSES;
      return ok ? c : false;
    });

    // Tiles equal the API's counts.
    await eventually('tiles = API', async () => {
      const [t, c] = [await tiles(page), await apiCounts(url, port)];
      assert.deepEqual(t, { server: { ESTABLISHED: c.server.ESTABLISHED ?? 0, TIME_WAIT: c.server.TIME_WAIT ?? 0 }, client: { ESTABLISHED: c.client.ESTABLISHED ?? 0, TIME_WAIT: c.client.TIME_WAIT ?? 0 } });
      assert.deepEqual(t, want);
      return true;
    });

    // The table lists every socket, on the right side, and counts TIME_WAIT down.
    await eventually('table = API', async () => {
      const rows = await tableCounts(page);
      assert.deepEqual(rows, {
        'server ESTABLISHED': api.server.ESTABLISHED,
        'server TIME_WAIT': api.server.TIME_WAIT,
        'server LISTEN': 1,
        'client ESTABLISHED': api.client.ESTABLISHED,
        'client TIME_WAIT': api.client.TIME_WAIT,
      });
      return true;
    });
    const countdowns = await page.$$eval('[data-testid=socket-table] tr[data-state=TIME_WAIT] td.num', (tds) => tds.map((td) => td.textContent?.trim() ?? ''));
    assert.equal(countdowns.length, SERVER_CLOSES + CLIENT_CLOSES);
    for (const c of countdowns) {
      const m = /^(\d+(?:\.\d)?) s$/.exec(c);
      assert.ok(m, `countdown "${c}"`);
      assert.ok(Number(m[1]) > 0 && Number(m[1]) <= 63, `countdown ${c} within TIME_WAIT's 60 s`);
    }

    // Both charts drew the stacked areas in the state colours.
    await eventually('charts drawn', async () => {
      const px = await canvasColours(page.locator('[data-testid=chart] canvas'));
      assert.equal(px.length, 2, 'two charts');
      for (const [i, side] of ['server', 'client'].entries()) {
        assert.ok(px[i].ESTABLISHED > 200, `${side} chart has ESTABLISHED pixels: ${JSON.stringify(px[i])}`);
        assert.ok(px[i].TIME_WAIT > 200, `${side} chart has TIME_WAIT pixels: ${JSON.stringify(px[i])}`);
      }
      return true;
    });

    // System panel: sampler and Go version from the API.
    const sys = await getJSON(`${url}/api/system`);
    assert.equal((await page.getByTestId('sampler-source').innerText()).split(' ')[0], sys.source);
    assert.equal(await page.getByTestId('go-version').innerText(), sys.go);

    // Keyboard: Tab reaches the port input with a visible focus ring. Tabbing starts after the Add
    // button clicked above and wraps round the page: every control of the port panel comes first.
    await page.locator('body').focus();
    let focusedInput = false;
    for (let i = 0; i < 40 && !focusedInput; i++) {
      await page.keyboard.press('Tab');
      focusedInput = await page.evaluate(() => document.activeElement?.id === 'port-input');
    }
    assert.ok(focusedInput, 'port input reachable with Tab');
    const outline = await page.evaluate(() => getComputedStyle(/** @type {Element} */ (document.activeElement)).outlineStyle);
    assert.equal(outline, 'solid', 'visible focus');

    fs.mkdirSync(outDir, { recursive: true });
    await page.mouse.move(0, 0);
    await page.screenshot({ path: path.join(outDir, 'watch-dark.png'), fullPage: true });
    await page.getByRole('button', { name: /switch to light/ }).click();
    await eventually('light theme', async () => (await page.evaluate(() => document.documentElement.dataset.theme)) === 'light');
    await eventually('charts redrawn after theme switch', async () => (await canvasColours(page.locator('[data-testid=chart] canvas'))).every((p) => p.ESTABLISHED > 200));
    await page.screenshot({ path: path.join(outDir, 'watch-light.png'), fullPage: true });

    // The seq logic agrees with the server: one subscribe, no resync (no gap, no truncation here).
    assert.deepEqual(
      sent.filter((m) => m.port === port),
      [{ type: 'subscribe', port }],
    );
    assert.deepEqual(errors, [], 'no console errors, page errors or failed requests');
    await page.close();
  });

  test('an error from the API shows next to the port field', async () => {
    assert.ok(app && browser);
    const url = app.url;
    // Fill the watched set to the server's limit (64), then ask the UI for one more.
    const added = [];
    for (let p = 60001; (await getJSON(`${url}/api/ports`)).length < 64; p++) {
      const res = await fetch(`${url}/api/ports`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ port: p }) });
      assert.equal(res.status, 201, await res.text());
      added.push(p);
    }
    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${url}/watch`);
    await page.locator('#port-input').fill('59999');
    const refused = page.waitForResponse((r) => r.url().endsWith('/api/ports') && r.request().method() === 'POST');
    await page.getByRole('button', { name: 'Add' }).click();
    const res = await refused;
    assert.ok(res.status() >= 400 && res.status() < 500, `POST refused with 4xx, got ${res.status()}`);
    const body = await res.json();
    const shown = await eventually('API error next to the field', async () => page.getByTestId('port-error').innerText());
    assert.ok(shown.includes(body.error.message), `"${shown}" shows "${body.error.message}"`);
    assert.equal(await page.locator('#port-input').getAttribute('aria-invalid'), 'true');
    for (const p of added) assert.equal((await fetch(`${url}/api/ports/${p}`, { method: 'DELETE' })).status, 204);
    // The browser logs the refused request itself ("Failed to load resource ... 4xx"): expected here.
    assert.deepEqual(
      errors.filter((e) => !/Failed to load resource: the server responded with a status of 4\d\d/.test(e)),
      [],
    );
    await page.close();
  });

  test('a deep link watches the port; the remove button stops watching it', async () => {
    assert.ok(app && browser);
    const url = app.url;
    const peer = new TcpPeer();
    peers.push(peer);
    const port = await peer.listen();
    const [pair] = await peer.dial(1);

    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${url}/watch/${port}`);
    await eventually('panel for the deep-linked port', async () => (await page.getByTestId('port-panel').getAttribute('data-port')) === String(port));
    await eventually('API watches it', async () => (await getJSON(`${url}/api/ports`)).some((/** @type {{port:number}} */ p) => p.port === port));
    await eventually('ESTABLISHED on both sides', async () => {
      const t = await tiles(page);
      return t.server.ESTABLISHED === 1 && t.client.ESTABLISHED === 1;
    });
    // A kernel-picked port may also be in strangers' TIME_WAITs (earlier connections of other suites whose
    // port was the same number, within their 60 s): they can only leave, so judge by relations to this count.
    const before = await tiles(page);
    await TcpPeer.closeFrom(pair, 'client');
    await eventually('client-side TIME_WAIT', async () => {
      const t = await tiles(page);
      return t.client.TIME_WAIT >= 1 && t.client.ESTABLISHED === 0 && t.server.ESTABLISHED === 0 && t.server.TIME_WAIT <= (before.server.TIME_WAIT ?? 0);
    });

    await page.getByRole('button', { name: `Stop watching port ${port}` }).click();
    await eventually('API no longer watches it', async () => {
      const res = await fetch(`${url}/api/ports/${port}`);
      return res.status === 404;
    });
    await eventually(
      'panel gone',
      async () =>
        (await page
          .getByTestId('port-panel')
          .getAttribute('data-port')
          .catch(() => null)) !== String(port),
    );
    assert.deepEqual(errors, [], 'no console errors, page errors or failed requests');
    await page.close();
  });

  test('the page reconnects after the server restarts and resyncs the port', async () => {
    assert.ok(app && browser);
    const bin = app.proc.spawnfile;
    const addr = new URL(app.url).host;
    const peer = new TcpPeer();
    peers.push(peer);
    const port = await peer.listen();
    await peer.dial(2);

    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${app.url}/watch/${port}`);
    await eventually('2 ESTABLISHED', async () => (await tiles(page)).server.ESTABLISHED === 2);

    await stopProcess(app.proc);
    await eventually('disconnected status', async () => (await page.getByTestId('conn-status').getAttribute('data-state')) !== 'open');
    await peer.dial(3); // changes while the page is disconnected

    // Same address, the port watched from the start.
    app = await startConnlab(bin, ['-addr', addr, '-watch', String(port)]);
    await eventually('live again', async () => (await page.getByTestId('conn-status').getAttribute('data-state')) === 'open', 30_000);
    await eventually('resynced counts', async () => {
      const t = await tiles(page);
      return t.server.ESTABLISHED === 5 && t.client.ESTABLISHED === 5;
    });
    await eventually('resynced table', async () => (await tableCounts(page))['client ESTABLISHED'] === 5);
    // The page's own console may log the refused websocket while the server was down: that is the browser, not the app.
    const appErrors = errors.filter((e) => !/WebSocket connection to .* failed/.test(e));
    assert.deepEqual(appErrors, [], 'no console errors, page errors or failed requests');
    await page.close();
  });
});
