// Real browser, real binary: while the websocket is down the figures on the
// page are dimmed and say how old they are, counting up; once the link is
// back they return to normal.
//
// Watch: the connlab process is stopped for real and restarted on the same
// address (-addr of the first one: a port the kernel picked, free again once
// the process exited). Lab: a run cannot survive a restart, so the websocket
// alone is cut (Playwright's routeWebSocket proxies it, then closes it and
// refuses new ones) while the server goes on; then it is let through again.
//
// Run: npm run e2e (see watch.test.mjs for the environment).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TcpPeer, connlabBinary, eventually, launchBrowser, outDir, startConnlab, stopProcess, watchErrors } from './harness.mjs';

/** Opacity at most this reads as dimmed (app.css .stale .figures: 0.4). */
const DIMMED = 0.6;
/** The age notice (lib/staleness.ts). */
const AGE = /^data from (\d+) s ago — reconnecting$/;

/** @type {import('./harness.mjs').Connlab | undefined} */
let app;
/** @type {Awaited<ReturnType<typeof launchBrowser>> | undefined} */
let browser;
/** @type {TcpPeer[]} */
const peers = [];

process.on('exit', () => app?.proc.kill('SIGKILL'));

/**
 * Computed opacity and filter of every element a locator matches.
 * @param {import('playwright-core').Locator} loc
 */
async function looks(loc) {
  return loc.evaluateAll((els) => els.map((el) => ({ opacity: Number(getComputedStyle(el).opacity), filter: getComputedStyle(el).filter })));
}

/**
 * Waits until every element of the locator is dimmed (or, with dimmed false, back to normal).
 * @param {import('playwright-core').Locator} loc
 * @param {string} what
 * @param {boolean} dimmed
 */
async function waitLook(loc, what, dimmed) {
  return eventually(`${what} ${dimmed ? 'dimmed' : 'at full brightness'}`, async () => {
    const l = await looks(loc);
    if (l.length === 0) throw new Error(`${what}: nothing matched`);
    const ok = l.every((x) => (dimmed ? x.opacity <= DIMMED && /grayscale/.test(x.filter) : x.opacity === 1 && x.filter === 'none'));
    if (!ok) throw new Error(`${what}: ${JSON.stringify(l)}`);
    return l;
  });
}

/**
 * The age the notice shows, in seconds (throws while there is none).
 * @param {import('playwright-core').Page} page
 */
async function ageShown(page) {
  const text = await page.getByTestId('stale-notice').innerText({ timeout: 1000 });
  const m = AGE.exec(text.trim());
  if (!m) throw new Error(`notice "${text}"`);
  return Number(m[1]);
}

/**
 * Waits until the age shown has counted up past `from` (the notice updates every second).
 * @param {import('playwright-core').Page} page
 * @param {number} from
 */
async function ageCountsUp(page, from) {
  return eventually(`age counting up from ${from} s`, async () => {
    const a = await ageShown(page);
    return a > from ? a : false;
  });
}

describe('stale figures while disconnected', { timeout: 180_000 }, () => {
  before(async () => {
    app = await startConnlab(connlabBinary());
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    if (app) await app.stop();
    await Promise.all(peers.splice(0).map((p) => p.close()));
  });

  test('Watch: connlab stopped, the figures dim and say how old they are; restarted, they are live again', async () => {
    assert.ok(app && browser);
    const bin = app.proc.spawnfile;
    const addr = new URL(app.url).host;
    const peer = new TcpPeer();
    peers.push(peer);
    const port = await peer.listen();
    await peer.dial(2);

    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 1280, height: 720 });
    const errors = watchErrors(page);
    await page.goto(`${app.url}/watch/${port}`);
    await eventually('2 ESTABLISHED', async () => (await page.getByTestId('tile-server-ESTABLISHED').getByTestId('tile-value').innerText()) === '2');
    const figures = page.locator('[data-testid=side-server], [data-testid=side-client], section[aria-labelledby=sockets-title]');
    assert.equal(await figures.count(), 3);
    await waitLook(figures, 'live figures', false);
    assert.equal(await page.getByTestId('stale-notice').count(), 0, 'no age notice while live');

    await stopProcess(app.proc);
    await eventually('disconnected', async () => (await page.getByTestId('conn-status').getAttribute('data-state')) !== 'open');
    await waitLook(figures, 'tiles, charts and table', true);
    const first = await eventually('age notice', async () => ({ age: await ageShown(page) }));
    await ageCountsUp(page, first.age);
    assert.equal(await page.locator('main').getAttribute('data-stale'), 'true');
    fs.mkdirSync(outDir, { recursive: true });
    await page.screenshot({ path: path.join(outDir, 'stale-watch-1280x720.png') });

    // Same address, the port watched from the start.
    app = await startConnlab(bin, ['-addr', addr, '-watch', String(port)]);
    await eventually('live again', async () => (await page.getByTestId('conn-status').getAttribute('data-state')) === 'open', 30_000);
    await eventually('age notice gone', async () => (await page.getByTestId('stale-notice').count()) === 0);
    await waitLook(figures, 'figures after the reconnect', false);
    assert.equal(await page.locator('main').getAttribute('data-stale'), 'false');
    // The page's own console may log the refused websocket while the server was down: that is the browser, not the app.
    assert.deepEqual(
      errors.filter((e) => !/WebSocket connection to .* failed/.test(e)),
      [],
      'no console errors, page errors or failed requests',
    );
    await page.close();
  });

  test('Lab: the websocket cut during a run, progress, charts and verdict dim with their age; let through, they are live again', async () => {
    assert.ok(app && browser);
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 1280, height: 720 });
    const errors = watchErrors(page);
    /** @type {{ page: import('playwright-core').WebSocketRoute, server: import('playwright-core').WebSocketRoute }[]} */
    const open = [];
    let cut = false;
    await page.routeWebSocket(/\/ws$/, (ws) => {
      if (cut) {
        ws.close({ code: 4000, reason: 'cut by the test' });
        return;
      }
      open.push({ page: ws, server: ws.connectToServer() });
    });

    // Observe long enough that the run is still going when the link comes back (a retry waits up to 10 s).
    await page.goto(`${app.url}/lab?preset=client-disable-keepalive&requests=10&observe=40s`);
    await page.getByRole('button', { name: /Hide knobs/ }).click();
    // Through the proxy before the run starts: the run's updates come over this socket.
    await eventually('live', async () => (await page.getByTestId('conn-status').getAttribute('data-state')) === 'open');
    await page.locator('button[data-testid=run]').click();
    await eventually(
      'observing',
      async () => {
        const p = page.getByTestId('progress');
        const [phase, status, link] = [await p.getAttribute('data-phase', { timeout: 1000 }), await p.getAttribute('data-status'), await page.getByTestId('conn-status').getAttribute('data-state')];
        if (phase !== 'observe') throw new Error(`phase ${phase}, status ${status}, link ${link}, caption "${await page.getByTestId('progress-caption').innerText()}"`);
        return true;
      },
      20_000,
    );
    const live = page.locator('div[data-testid=run]');
    const parts = live.locator('[data-testid=progress], [data-testid^=lab-chart-], [data-testid=verdict]');
    assert.equal(await parts.count(), 4, 'progress, two charts, verdict');
    await waitLook(live, 'the live run', false);
    await waitLook(page.getByTestId('answer'), 'the live answer', false);

    cut = true;
    for (const c of open.splice(0)) {
      await c.page.close({ code: 4000, reason: 'cut by the test' });
      await c.server.close();
    }
    await eventually('disconnected', async () => (await page.getByTestId('conn-status').getAttribute('data-state')) !== 'open');
    await waitLook(live, 'progress, charts and verdict', true);
    await waitLook(page.getByTestId('answer'), 'the "so far" answer', true);
    const first = await eventually('age notice', async () => ({ age: await ageShown(page) }));
    await ageCountsUp(page, first.age);
    assert.equal(await page.getByTestId('progress').getAttribute('data-status'), 'running', 'the run shown is still the live one');
    fs.mkdirSync(outDir, { recursive: true });
    await page.screenshot({ path: path.join(outDir, 'stale-lab-1280x720.png') });

    cut = false;
    await eventually('live again', async () => (await page.getByTestId('conn-status').getAttribute('data-state')) === 'open', 30_000);
    await eventually('age notice gone', async () => (await page.getByTestId('stale-notice').count()) === 0);
    // Still running on the server (observe 40 s): the same run, updating, at full brightness.
    const elapsed = await page.getByTestId('elapsed').innerText();
    await eventually('updates again', async () => (await page.getByTestId('elapsed').innerText()) !== elapsed);
    assert.equal(await page.getByTestId('progress').getAttribute('data-status'), 'running');
    await waitLook(live, 'the run after the reconnect', false);

    // Done with it: Stop ends the run now (its slot is freed for the other tests).
    await page.getByTestId('stop').click();
    await eventually('final verdict', async () => (await page.getByTestId('verdict').getAttribute('data-final')) === 'true', 30_000);
    assert.deepEqual(errors, [], 'no console errors, page errors or failed requests');
    await page.close();
  });
});
