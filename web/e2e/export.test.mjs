// Real browser, real binary: export and replay (issue 10) and the Lab's
// recent runs and skip-observe control (issue 8). A short run is downloaded
// as a run file (a real Chromium download) whose figures must equal the
// API's; the file is opened again through the file input and through a
// drop, and the replay must show the run's answer, verdict and lanes with
// nothing running; bad files show an error and leave the screen as it was;
// a chart downloads as a PNG that decodes; the Watch timeline downloads as
// CSV and JSON equal to the API's rows; Skip observe ends a 60 s observe.
//
// Run: npm run e2e (see watch.test.mjs for the environment).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TcpPeer, VIEWPORTS, boxes, connlabBinary, eventually, getJSON, inside, launchBrowser, overlap, startConnlab, watchErrors } from './harness.mjs';

/** The short run: 10 requests, 2 s observe. */
const SHORT = '/lab?preset=client-disable-keepalive&requests=10&observe=2s';
/** A run whose observe phase would last a minute (TIME_WAIT keeps it from draining early). */
const LONG_OBSERVE_MS = 60_000;

/** @type {import('./harness.mjs').Connlab | undefined} */
let app;
/** @type {Awaited<ReturnType<typeof launchBrowser>> | undefined} */
let browser;
/** @type {TcpPeer[]} */
const peers = [];
/** The run downloaded by the first test, for the replay tests. */
let saved = /** @type {{ id: string, path: string, name: string, text: string, res: any } | null} */ (null);

process.on('exit', () => app?.proc.kill('SIGKILL'));

const plain = (/** @type {string} */ s) => s.replaceAll('`', '');

/**
 * Collects the ids of experiments the page starts.
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
 * Clicks a button and returns the file the browser downloads: its suggested name and bytes.
 * @param {import('playwright-core').Page} page
 * @param {import('playwright-core').Locator} button
 */
async function download(page, button) {
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 15_000 }), button.click()]);
  const file = await dl.path();
  assert.ok(file, `download ${dl.suggestedFilename()} saved: ${await dl.failure()}`);
  return { name: dl.suggestedFilename(), path: file, bytes: fs.readFileSync(file) };
}

/**
 * What the Lab shows of a run: answer, verdict's findings, lanes drawn, status.
 * @param {import('playwright-core').Page} page
 */
async function shown(page) {
  return {
    answer: await page.getByTestId('answer-text').innerText(),
    final: await page.getByTestId('answer').getAttribute('data-final'),
    findings: await page.getByTestId('finding').evaluateAll((els) => els.map((el) => el.getAttribute('data-finding'))),
    verdictId: await page.getByTestId('verdict').getAttribute('data-id'),
    status: await page.getByTestId('progress').getAttribute('data-status'),
  };
}

/**
 * Waits until the page shows the run `res` as a replay of a file, and checks it shows what the run measured.
 * @param {import('playwright-core').Page} page
 * @param {any} res
 */
async function assertReplayOf(page, res) {
  const banner = page.getByTestId('replay-banner');
  await eventually('replay banner', async () => (await banner.getAttribute('data-id')) === res.id);
  await eventually('lanes drawn', async () => Number(await page.getByTestId('swimlanes').getAttribute('data-lanes')) === res.lanes.length);
  const s = await shown(page);
  assert.equal(s.answer, plain(res.answer ? res.answer : res.findings[0].text), 'the run’s answer');
  assert.equal(s.final, 'true');
  assert.deepEqual(
    s.findings,
    res.findings.map((/** @type {{id: string}} */ f) => f.id),
    'the run’s verdict',
  );
  assert.equal(s.verdictId, res.id);
  assert.equal(s.status, res.status);
  assert.equal(await page.getByTestId('requests-done').innerText(), `${res.progress.requestsDone} / ${res.progress.requestsTarget}`);
  assert.equal(await page.getByTestId('stop').count(), 0, 'nothing is running');
  assert.equal(await page.locator('button[data-testid=run]').count(), 1);
  const ymax = await page.locator('[data-testid^=lab-chart-] [data-testid=chart]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-ymax'))));
  assert.equal(ymax.length, 2, 'both kernel charts');
  assert.ok(ymax[0] >= Math.max(res.kernel.timeWaitPeak.server, res.kernel.timeWaitPeak.client), `charts hold the TIME_WAIT peak: ${ymax}`);
}

/**
 * Dispatches a drag of a file over the page and its drop, as a browser does for a file from the desktop.
 * @param {import('playwright-core').Page} page
 * @param {string} selector where the file is dropped
 * @param {string} name
 * @param {string} text
 */
async function dropFile(page, selector, name, text) {
  await page.evaluate(
    ({ selector, name, text }) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], name, { type: 'application/json' }));
      const target = document.querySelector(selector);
      if (!target) throw new Error(`no ${selector}`);
      target.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true, cancelable: true }));
      target.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      const accepted = !target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      if (!accepted) throw new Error('the page did not take the drop (the browser would open the file instead)');
    },
    { selector, name, text },
  );
}

/**
 * Parses the timeline CSV (README, "Export and replay").
 * @param {string} csv
 */
function parseCSV(csv) {
  const [head, ...lines] = csv.trimEnd().split('\n');
  const cols = head.split(',');
  assert.deepEqual(cols.slice(0, 3), ['time_ms', 'time_utc', 'side']);
  const states = cols.slice(3);
  return {
    states,
    rows: lines.map((l) => {
      const f = l.split(',');
      assert.equal(f.length, cols.length, `one field per column: ${l}`);
      assert.equal(new Date(Number(f[0])).toISOString(), f[1], 'time_utc is time_ms');
      return { t: Number(f[0]), side: f[2], counts: Object.fromEntries(states.map((s, i) => [s, Number(f[3 + i])])) };
    }),
  };
}

describe('export and replay in a real browser', { timeout: 240_000 }, () => {
  before(async () => {
    app = await startConnlab(connlabBinary());
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await app?.stop();
    await Promise.all(peers.splice(0).map((p) => p.close()));
  });

  test('a finished run is listed in Recent runs and downloads as a run file equal to the API’s result', async () => {
    assert.ok(app && browser);
    const url = app.url;
    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    const ids = startedIds(page);
    await page.goto(url + SHORT);
    await page.locator('button[data-testid=run]').click();
    await eventually('final verdict', async () => (await page.getByTestId('verdict').getAttribute('data-final')) === 'true', 30_000);
    assert.equal(ids.length, 1);
    const id = ids[0];
    // Refreshed when the run ends: listed, finished, and the one shown.
    const item = page.locator(`[data-testid=recent-run][data-id="${id}"]`);
    await eventually('listed in Recent runs', async () => (await item.count()) === 1);
    assert.equal(await item.getAttribute('data-status'), 'completed');
    assert.equal(await item.getByTestId('recent-show').innerText(), 'Shown');

    const res = await getJSON(`${url}/api/experiments/${id}`);
    assert.equal(res.status, 'completed');
    const dl = await download(page, page.getByTestId('download-run'));
    assert.equal(dl.name, `connlab-client-disable-keepalive-${id}.json`);
    const text = dl.bytes.toString('utf8');
    const file = JSON.parse(text);
    assert.equal(file.format, 'connlab-run');
    assert.equal(file.version, 1);
    assert.ok(Math.abs(Date.parse(file.savedAt) - Date.now()) < 120_000, `savedAt is now: ${file.savedAt}`);
    const system = await getJSON(`${url}/api/system`);
    assert.equal(file.connlab, system.version);
    // Every figure, lane, log line and timeline row of the finished run, as the API has it.
    assert.deepEqual(file.result, await getJSON(`${url}/api/experiments/${id}`));
    assert.equal(file.result.lanes.length, res.lanes.length);
    saved = { id, path: dl.path, name: dl.name, text, res };
    assert.deepEqual(errors, [], 'no console errors, page errors, failed or external requests');
    await page.close();
  });

  for (const how of ['file input', 'drop']) {
    test(`a run file opened by ${how} replays the run, nothing running; Back restores the page`, async () => {
      assert.ok(app && browser && saved, 'the download test ran');
      const page = await browser.context.newPage();
      const errors = watchErrors(page);
      await page.goto(`${app.url}/lab`);
      await eventually('Lab loaded', async () => (await page.getByTestId('recent-runs').count()) === 1);
      const before = page.url();
      if (how === 'file input') await page.getByTestId('run-file-input').setInputFiles(saved.path);
      else await dropFile(page, '[data-testid=lab]', saved.name, saved.text);
      await assertReplayOf(page, saved.res);
      assert.equal(await page.getByTestId('replay-name').innerText(), how === 'drop' ? saved.name : path.basename(saved.path));

      await page.getByTestId('replay-back').click();
      await eventually('replay left', async () => (await page.getByTestId('replay-banner').count()) === 0);
      await eventually('the intro is back', async () => (await page.getByTestId('lab-intro').count()) === 1);
      assert.equal(await page.getByTestId('verdict').count(), 0, 'the page shows what it showed before: no run');
      await eventually('URL back', () => page.url() === before);
      assert.deepEqual(errors, [], 'no console errors, page errors, failed or external requests');
      await page.close();
    });
  }

  test('a replay at 1280×720 keeps its banner, the question, the answer and both charts in view', async () => {
    assert.ok(app && browser && saved);
    const vp = VIEWPORTS[0];
    const page = await browser.context.newPage();
    await page.setViewportSize(vp);
    const errors = watchErrors(page);
    await page.goto(`${app.url}/lab`);
    await page.getByRole('button', { name: /Hide knobs/ }).click();
    await page.getByTestId('run-file-input').setInputFiles(saved.path);
    await assertReplayOf(page, saved.res);
    const parts = [
      ...(await boxes(page.getByTestId('replay-banner'), 'replay banner')),
      ...(await boxes(page.getByTestId('preset-question'), 'question')),
      ...(await boxes(page.getByTestId('answer'), 'answer')),
      ...(await boxes(page.getByTestId('lab-chart-server'), 'server chart')),
      ...(await boxes(page.getByTestId('lab-chart-client'), 'client chart')),
    ];
    for (const b of parts) assert.ok(inside(b, vp), `${b.name} inside ${vp.width}×${vp.height}: ${JSON.stringify(b)}`);
    for (let i = 0; i < parts.length; i++) for (let j = i + 1; j < parts.length; j++) assert.ok(!overlap(parts[i], parts[j]), `${parts[i].name} and ${parts[j].name} do not overlap`);
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('bad files show why and leave the shown run as it was', async () => {
    assert.ok(app && browser && saved);
    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${app.url}/lab`);
    await page.getByTestId('run-file-input').setInputFiles(saved.path);
    await assertReplayOf(page, saved.res);
    const good = JSON.parse(saved.text);
    const bad = [
      { name: 'corrupt.json', text: saved.text.slice(0, saved.text.length / 2), why: /not JSON/ },
      { name: 'newer.json', text: JSON.stringify({ ...good, version: 99 }), why: /version 99, written by a newer connlab/ },
      { name: 'other.json', text: JSON.stringify({ hello: 'world' }), why: /not a connlab run file/ },
      { name: 'damaged.json', text: JSON.stringify({ ...good, result: { ...good.result, lanes: 'many' } }), why: /damaged: lanes is not a list/ },
    ];
    for (const [i, b] of bad.entries()) {
      if (i % 2 === 0) await page.getByTestId('run-file-input').setInputFiles({ name: b.name, mimeType: 'application/json', buffer: Buffer.from(b.text) });
      else await dropFile(page, '[data-testid=lab]', b.name, b.text);
      const problem = page.getByTestId('file-problem');
      await eventually(`error for ${b.name}`, async () => (await problem.count()) === 1 && (await problem.innerText()).includes(b.name));
      assert.match(await problem.innerText(), b.why);
      // Nothing lost: the same replay, the same figures.
      assert.equal(await page.getByTestId('replay-banner').getAttribute('data-id'), saved.id);
      assert.equal(await page.getByTestId('replay-name').innerText(), path.basename(saved.path));
      await assertReplayOf(page, saved.res);
      await problem.getByRole('button', { name: 'Dismiss' }).click();
      await eventually('dismissed', async () => (await problem.count()) === 0);
    }
    assert.deepEqual(errors, [], 'a bad file is not a console error');
    await page.close();
  });

  test('Show on a recent run displays it in full; a chart downloads as a PNG that decodes, with the run’s colours', async () => {
    assert.ok(app && browser && saved);
    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${app.url}/lab`);
    const item = page.locator(`[data-testid=recent-run][data-id="${saved.id}"]`);
    await eventually('listed', async () => (await item.count()) === 1);
    await item.getByTestId('recent-show').click();
    await eventually('shown', async () => (await page.getByTestId('verdict').getAttribute('data-id')) === saved?.id);
    await eventually('lanes drawn', async () => Number(await page.getByTestId('swimlanes').getAttribute('data-lanes')) === saved?.res.lanes.length);
    assert.equal(await page.getByTestId('replay-banner').count(), 0, 'a run of this connlab, not a file');
    assert.deepEqual(
      (await shown(page)).findings,
      saved.res.findings.map((/** @type {{id: string}} */ f) => f.id),
    );

    const chart = page.getByTestId('lab-chart-server');
    const dl = await download(page, chart.getByTestId('chart-png'));
    assert.match(dl.name, /^connlab-server-side-.*\.png$/);
    const b = dl.bytes;
    assert.deepEqual([...b.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
    assert.equal(b.subarray(12, 16).toString('latin1'), 'IHDR');
    const w = b.readUInt32BE(16);
    const h = b.readUInt32BE(20);
    const canvas = await chart.locator('canvas').evaluate((c) => ({ w: /** @type {HTMLCanvasElement} */ (c).width, h: /** @type {HTMLCanvasElement} */ (c).height }));
    assert.ok(w > canvas.w && h > canvas.h, `the PNG frames the ${canvas.w}×${canvas.h} chart: ${w}×${h}`);
    // Decoded by the browser: its size, and the TIME_WAIT colour the server side had.
    const decoded = await page.evaluate(
      async (bytes) => {
        const bmp = await createImageBitmap(new Blob([new Uint8Array(bytes)], { type: 'image/png' }));
        const c = new OffscreenCanvas(bmp.width, bmp.height);
        const ctx = /** @type {OffscreenCanvasRenderingContext2D} */ (c.getContext('2d'));
        ctx.drawImage(bmp, 0, 0);
        const { data } = ctx.getImageData(0, 0, bmp.width, bmp.height);
        let tw = 0;
        for (let i = 0; i < data.length; i += 4) if (Math.abs(data[i] - 0xe6) < 24 && Math.abs(data[i + 1] - 0x9f) < 24 && Math.abs(data[i + 2]) < 24) tw++;
        return { w: bmp.width, h: bmp.height, tw };
      },
      [...b],
    );
    assert.deepEqual({ w: decoded.w, h: decoded.h }, { w, h });
    assert.equal(decoded.tw > 100, saved.res.kernel.timeWaitPeak.server > 0, `TIME_WAIT drawn iff the server side had some: ${decoded.tw} px`);
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('Skip observe ends a 60 s observe phase now, and the progress says so', async () => {
    assert.ok(app && browser);
    const url = app.url;
    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    const ids = startedIds(page);
    await page.goto(`${url}/lab?preset=client-disable-keepalive&requests=10&observe=${LONG_OBSERVE_MS / 1000}s`);
    await page.locator('button[data-testid=run]').click();
    const skip = page.getByTestId('skip-observe');
    await eventually('observing, Skip offered', async () => (await page.getByTestId('progress').getAttribute('data-phase')) === 'observe' && (await skip.count()) === 1, 20_000);
    const [before] = await boxes(page.getByTestId('stop'), 'Stop');
    await skip.click();
    await eventually('completed early', async () => (await page.getByTestId('progress').getAttribute('data-status')) === 'completed', 20_000);
    assert.equal(ids.length, 1);
    const res = await getJSON(`${url}/api/experiments/${ids[0]}`);
    assert.equal(res.status, 'completed');
    assert.equal(res.progress.observeEnded, 'skipped');
    assert.ok(res.progress.elapsedMs < res.progress.workloadMs + LONG_OBSERVE_MS, `ended before the observe time: ${JSON.stringify(res.progress)}`);
    assert.match(await page.getByTestId('observe-ended').innerText(), /^\s*· observe skipped$/);
    assert.match(String(await page.getByTestId('observe-ended').getAttribute('title')), /1 min 00 s planned/);
    const [afterRun] = await boxes(page.locator('button[data-testid=run]'), 'Run');
    assert.deepEqual({ ...afterRun, name: '' }, { ...before, name: '' }, 'Skip did not move Run/Stop');
    assert.equal(await skip.count(), 0, 'no Skip once done');
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('Watch: the whole kept history on the chart, and the timeline as CSV and JSON equal to the API’s', async () => {
    assert.ok(app && browser);
    const url = app.url;
    const peer = new TcpPeer();
    peers.push(peer);
    const port = await peer.listen();
    const pairs = await peer.dial(4);
    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${url}/watch/${port}`);
    await eventually('tiles', async () => Number(await page.getByTestId('tile-server-ESTABLISHED').getByTestId('tile-value').innerText()) === 4);
    await TcpPeer.closeFrom(pairs[0], 'server'); // a TIME_WAIT, so the columns are not all alike
    await eventually('TIME_WAIT seen', async () => Number(await page.getByTestId('tile-server-TIME_WAIT').getByTestId('tile-value').innerText()) >= 1);

    // The chart's span: 3 minutes, then all the server keeps (-history, 15 min by default).
    const system = await getJSON(`${url}/api/system`);
    const chart = page.getByTestId('side-server').getByTestId('chart');
    assert.equal(Number(await chart.getAttribute('data-window')), 180);
    const toggle = page.getByTestId('history-toggle');
    assert.equal(await toggle.innerText(), `Show all ${system.historyMs / 60_000} min kept`);
    await toggle.click();
    await eventually('whole history', async () => Number(await chart.getAttribute('data-window')) === system.historyMs / 1000);
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');

    const csv = await download(page, page.getByTestId('timeline-csv'));
    assert.match(csv.name, new RegExp(`^connlab-port-${port}-timeline-\\d{8}T\\d{6}Z\\.csv$`));
    const json = await download(page, page.getByTestId('timeline-json'));
    assert.match(json.name, /\.json$/);
    const api = await getJSON(`${url}/api/ports/${port}/timeline?since=0`);
    const apiRow = new Map(api.t.map((/** @type {number} */ t, /** @type {number} */ i) => [t, i]));

    // CSV: one line per poll and side, the API's counts; it starts where the API's kept history starts
    // (the API answers later, so it may hold a few polls more at the end).
    const { states, rows } = parseCSV(csv.bytes.toString('utf8'));
    for (const s of Object.keys(api.server)) assert.ok(states.includes(s), `column ${s}`);
    assert.ok(rows.length >= 4, `rows: ${rows.length}`);
    assert.equal(rows[0].t, api.t[0], 'the whole kept history');
    for (const r of rows) {
      const i = apiRow.get(r.t);
      assert.ok(i !== undefined, `poll ${r.t} is in the API's timeline`);
      for (const s of states) assert.equal(r.counts[s], api[r.side][s]?.[i] ?? 0, `${r.side} ${s} at ${r.t}`);
    }
    assert.deepEqual(
      rows.filter((r) => r.side === 'server').map((r) => r.t),
      rows.filter((r) => r.side === 'client').map((r) => r.t),
    );
    assert.ok(
      rows.some((r) => r.side === 'server' && r.counts.TIME_WAIT >= 1),
      'the TIME_WAIT is in the file',
    );

    // JSON: the API's document as it was then: the same rows, a prefix of the API's now.
    const tl = JSON.parse(json.bytes.toString('utf8'));
    assert.equal(tl.port, port);
    assert.equal(tl.seq0, api.seq0);
    assert.deepEqual(tl.t, api.t.slice(0, tl.t.length));
    for (const side of ['server', 'client']) for (const s of Object.keys(api[side])) assert.deepEqual(tl[side][s], api[side][s].slice(0, tl.t.length), `${side} ${s}`);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
