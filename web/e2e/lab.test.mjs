// Real browser, real binary, real experiments: the Lab view runs a preset
// from its form and shows the same numbers as the API: verdict, swimlanes,
// kernel charts, request log; then a comparison of two presets.
//
// Run: npm run e2e (see watch.test.mjs for the environment).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { canvasColours, connlabBinary, eventually, getJSON, launchBrowser, outDir, startConnlab, watchErrors } from './harness.mjs';

/** State colours (web/src/lib/states.ts). */
/** The short workload of these runs: 10 requests 50 ms apart, 2 s observe (the UI's default is 65 s). */
const REQUESTS = 10;

/** @type {import('./harness.mjs').Connlab | undefined} */
let app;
/** @type {Awaited<ReturnType<typeof launchBrowser>> | undefined} */
let browser;

process.on('exit', () => app?.proc.kill('SIGKILL'));

/**
 * Collects the ids of experiments the page starts (201 answers to POST /api/experiments).
 * @param {import('playwright-core').Page} page
 */
function startedIds(page) {
  /** @type {string[]} */
  const ids = [];
  page.on('response', async (r) => {
    if (r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/experiments' && r.status() === 201) ids.push((await r.json()).id);
  });
  return ids;
}

/**
 * The findings a verdict card shows.
 * @param {import('playwright-core').Locator} card
 */
async function shownFindings(card) {
  return card.getByTestId('finding').evaluateAll((els) =>
    els.map((el) => ({
      id: el.getAttribute('data-finding'),
      level: el.getAttribute('data-level'),
      text: el.querySelector('[data-testid=finding-text]')?.textContent?.trim(),
      evidence: [...el.querySelectorAll('[data-testid=evidence]')].map((e) => e.textContent?.trim()),
    })),
  );
}

/** Strips the backticks the server uses for code (the page renders them as <code>). */
const plain = (/** @type {string} */ s) => s.replaceAll('`', '');

describe('Lab view in a real browser', { timeout: 120_000 }, () => {
  before(async () => {
    app = await startConnlab(connlabBinary());
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await app?.stop();
  });

  test('runs client-disable-keepalive from the form: verdict, lanes, charts and log agree with the API', async () => {
    assert.ok(app && browser);
    const url = app.url;
    const presets = await getJSON(`${url}/api/presets`);
    const preset = presets.find((/** @type {{name: string}} */ p) => p.name === 'client-disable-keepalive');
    assert.ok(preset, 'preset exists');

    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    const ids = startedIds(page);
    await page.goto(`${url}/watch`);
    await page.getByRole('link', { name: 'Lab', exact: true }).click();
    await eventually('Lab view', () => page.url().startsWith(`${url}/lab?preset=`));

    // Pick the preset and set a short workload through the form.
    await page.locator('#preset-a').selectOption('client-disable-keepalive');
    assert.equal(await page.getByTestId('preset-question').first().innerText(), plain(preset.question));
    await page.locator('#f-a-requests').fill(String(REQUESTS));
    await page.locator('#f-a-interval').fill('50ms');
    await page.locator('#f-a-observe').fill('2s');
    // The URL carries the spec: only what differs from the preset (its interval is 50ms already).
    await eventually('spec in the URL', () => new URL(page.url()).search === `?preset=client-disable-keepalive&requests=${REQUESTS}&observe=2s`);

    await page.getByTestId('run').click();
    const verdict = page.getByTestId('verdict');
    await eventually('a live verdict', async () => (await verdict.getAttribute('data-final')) === 'false' || (await verdict.getAttribute('data-final')) === 'true', 10_000);
    await eventually('final verdict', async () => (await verdict.getAttribute('data-final')) === 'true', 30_000);
    assert.equal(ids.length, 1);
    const res = await getJSON(`${url}/api/experiments/${ids[0]}`);
    assert.equal(res.status, 'completed');
    assert.equal(await verdict.getAttribute('data-id'), res.id);

    // The physics of the preset, as the API measured it.
    assert.equal(res.requests.total, REQUESTS);
    assert.equal(res.connections.opened, REQUESTS, 'one connection per request');
    // The server closes first after answering `Connection: close`; the client closes as soon as it has
    // read the response, so on loopback a few connections can count as simultaneous: a majority, not all.
    const cf = res.connections.closedFirst;
    assert.equal(cf.server + cf.client + cf.simultaneous, REQUESTS, `every connection ended: ${JSON.stringify(cf)}`);
    assert.ok(cf.server > REQUESTS / 2, `the server closed most first: ${JSON.stringify(cf)}`);

    // The verdict card shows the API's findings, word for word, with their evidence.
    const shown = await shownFindings(verdict);
    assert.deepEqual(
      shown,
      res.findings.map((/** @type {{id:string, level:string, text:string, evidence:string[]}} */ f) => ({ id: f.id, level: f.level, text: plain(f.text), evidence: f.evidence.map(plain) })),
    );
    const reuse = shown.find((f) => f.id === 'reuse');
    assert.match(reuse?.text ?? '', new RegExp(`\\b${REQUESTS} connections for ${REQUESTS} requests`));
    // The wording follows the split the API measured: "closed K of N first" for a clear majority, "Mixed: …" otherwise.
    const closed = shown.find((f) => f.id === 'closed-first');
    assert.match(
      closed?.text ?? '',
      cf.server === REQUESTS
        ? new RegExp(`server closed all ${REQUESTS} connections first`)
        : new RegExp(`server closed ${cf.server} of ${REQUESTS} connections first|^Mixed: the server closed ${cf.server} first, the client ${cf.client}\\b`),
    );
    assert.equal(await verdict.getByTestId('verdict-go').innerText(), res.go);

    // Progress: done, every request.
    const progress = page.getByTestId('progress');
    assert.equal(await progress.getAttribute('data-status'), 'completed');
    assert.equal(await page.getByTestId('requests-done').innerText(), `${REQUESTS} / ${REQUESTS}`);

    // Swimlanes: one lane per connection, drawn with open bars and TIME_WAIT bars.
    const lanes = page.getByTestId('swimlanes');
    await eventually('lanes drawn', async () => Number(await lanes.getAttribute('data-lanes')) === res.lanes.length);
    assert.equal(res.lanes.length, REQUESTS);
    const [lanePx] = await canvasColours(lanes);
    assert.ok(lanePx.TIME_WAIT > 500, `TIME_WAIT bars: ${JSON.stringify(lanePx)}`);
    assert.ok(lanePx.ESTABLISHED > 50, `open bars: ${JSON.stringify(lanePx)}`);

    // Kernel charts: drawn, TIME_WAIT on the server side (it closed first); on the client side only
    // if the kernel saw some there (a simultaneous close leaves TIME_WAIT on both sides).
    const [serverPx] = await canvasColours(page.getByTestId('lab-chart-server').locator('canvas'));
    const [clientPx] = await canvasColours(page.getByTestId('lab-chart-client').locator('canvas'));
    assert.ok(serverPx.any > 1000, `server chart not blank: ${JSON.stringify(serverPx)}`);
    assert.ok(serverPx.TIME_WAIT > 300, `server chart has TIME_WAIT: ${JSON.stringify(serverPx)}`);
    assert.ok(clientPx.any > 1000, `client chart drawn (axes): ${JSON.stringify(clientPx)}`);
    assert.equal(clientPx.TIME_WAIT > 0, res.kernel.timeWaitPeak.client > 0, `client-side TIME_WAIT drawn iff the kernel saw it: ${JSON.stringify(clientPx)}, peak ${res.kernel.timeWaitPeak.client}`);

    // The request log, in the seed's words, one line per request, the API's ports.
    const lines = await page.getByTestId('log-line').allInnerTexts();
    assert.equal(lines.length, REQUESTS);
    res.log.forEach((/** @type {{seq:number, clientPort:number}} */ l, /** @type {number} */ i) => {
      assert.ok(lines[i].includes(`receive a request from: 127.0.0.1:${l.clientPort} Connection: close`), lines[i]);
    });

    // Keyboard: from the navigation, Tab reaches the preset picker and the Run button.
    await page.getByRole('link', { name: 'Lab', exact: true }).focus();
    const reached = new Set();
    for (let i = 0; i < 12 && reached.size < 2; i++) {
      await page.keyboard.press('Tab');
      const id = await page.evaluate(() => document.activeElement?.id || document.activeElement?.getAttribute('data-testid') || '');
      if (id === 'preset-a' || id === 'run') reached.add(id);
    }
    assert.deepEqual([...reached].sort(), ['preset-a', 'run'], 'preset and Run reachable with Tab');
    const outline = await page.evaluate(() => getComputedStyle(/** @type {Element} */ (document.activeElement)).outlineStyle);
    assert.equal(outline, 'solid', 'visible focus');

    fs.mkdirSync(outDir, { recursive: true });
    await page.mouse.move(0, 0);
    await page.screenshot({ path: path.join(outDir, 'lab-dark.png'), fullPage: true });
    await page.getByRole('button', { name: /switch to light/ }).click();
    await eventually('light theme', async () => (await page.evaluate(() => document.documentElement.dataset.theme)) === 'light');
    await eventually('charts redrawn', async () => (await canvasColours(page.getByTestId('lab-chart-server').locator('canvas')))[0].TIME_WAIT > 300);
    await page.screenshot({ path: path.join(outDir, 'lab-light.png'), fullPage: true });
    await page.getByRole('button', { name: /switch to dark/ }).click();

    assert.deepEqual(errors, [], 'no console errors, page errors, failed or external requests');
    await page.close();
  });

  test('compares keepalive-default with client-disable-keepalive: the table highlights the connections', async () => {
    assert.ok(app && browser);
    const url = app.url;
    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    const ids = startedIds(page);
    // A deep link sets A; the comparison is picked in the UI.
    await page.goto(`${url}/lab?preset=keepalive-default&requests=${REQUESTS}&observe=2s`);
    await eventually('form from the link', async () => (await page.locator('#f-a-requests').inputValue()) === String(REQUESTS));
    await page.getByTestId('compare-select').selectOption('client-disable-keepalive');
    await eventually('comparison in the URL', () => new URL(page.url()).searchParams.get('compare') === 'client-disable-keepalive');
    await page.getByTestId('run').click();
    const table = page.getByTestId('compare');
    await eventually('final comparison', async () => (await table.getAttribute('data-final')) === 'true', 30_000);
    assert.equal(ids.length, 2, 'both started together');
    // The two POSTs race: tell A from B by preset.
    const both = await Promise.all(ids.map((id) => getJSON(`${url}/api/experiments/${id}`)));
    const a = both.find((r) => r.preset === 'keepalive-default');
    const b = both.find((r) => r.preset === 'client-disable-keepalive');
    assert.ok(a && b, `one run of each preset: ${both.map((r) => r.preset)}`);
    assert.equal(a.spec.requests, REQUESTS);
    assert.equal(b.spec.requests, REQUESTS, 'same workload');
    assert.equal(b.spec.observe, '2s', 'same workload');

    const row = page.getByTestId('cmp-connections');
    assert.equal(await row.getAttribute('data-differs'), 'true', 'connections opened highlighted');
    assert.equal(Number(await row.getAttribute('data-a')), a.connections.opened);
    assert.equal(Number(await row.getAttribute('data-b')), b.connections.opened);
    assert.ok(a.connections.opened < b.connections.opened, `keep-alive reuses: ${a.connections.opened} vs ${b.connections.opened}`);
    const cells = await row.locator('td.num').allInnerTexts();
    assert.deepEqual(
      cells.map((c) => c.replace(/[◀▶]/g, '').trim()),
      [String(a.connections.opened), String(b.connections.opened)],
    );
    const tw = page.getByTestId('cmp-twServer');
    assert.equal(Number(await tw.getAttribute('data-a')), a.kernel.timeWaitPeak.server);
    assert.equal(Number(await tw.getAttribute('data-b')), b.kernel.timeWaitPeak.server);
    assert.equal(await tw.getAttribute('data-differs'), String(a.kernel.timeWaitPeak.server !== b.kernel.timeWaitPeak.server));

    // Both runs are shown, each with its own verdict.
    assert.equal(await page.getByTestId('verdict').count(), 2);
    await page.mouse.move(0, 0);
    await page.screenshot({ path: path.join(outDir, 'lab-compare.png'), fullPage: true });
    assert.deepEqual(errors, [], 'no console errors, page errors, failed or external requests');
    await page.close();
  });

  test('form hints: a bad value is refused next to its field, a bad link is reported', async () => {
    assert.ok(app && browser);
    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${app.url}/lab?preset=pool-churn&concurrency=5000&nope=1`);
    const notice = page.getByTestId('url-problems');
    await eventually('link problems shown', async () => /concurrency=5000: must be between 1 and 1000/.test(await notice.innerText()));
    assert.match(await notice.innerText(), /nope: unknown field/);
    assert.equal(new URL(page.url()).search, '?preset=pool-churn', 'the URL keeps what was used');
    await page.locator('#f-a-observe').fill('soon');
    await eventually('field error', async () => /Go duration/.test(await page.getByTestId('field-msg-observe').innerText()));
    assert.equal(await page.locator('#f-a-observe').getAttribute('aria-invalid'), 'true');
    await page.locator('#f-a-observe').fill('30s');
    await eventually('hint instead', async () => /TIME_WAIT lasts 60 s/.test(await page.getByTestId('field-msg-observe').innerText()));
    assert.equal(new URL(page.url()).searchParams.get('observe'), '30s');
    assert.deepEqual(errors, []);
    await page.close();
  });
});
