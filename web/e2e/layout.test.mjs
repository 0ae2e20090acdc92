// Real browser, real binary: the layouts a room reads at 1280×720 (a
// projector) and 1920×1080. Every element asserted here is measured in the
// page: inside the viewport without scrolling, not overlapping its
// neighbours, not clipped, at a readable size; the Run button keeps one box
// before, while and after a run; the two charts of a port share one y scale.
// Screenshots of each layout go to test-output/layout-*.png.
//
// Run: npm run e2e (see watch.test.mjs for the environment).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TcpPeer, VIEWPORTS, boxes, canvasTexts, connlabBinary, eventually, getJSON, inside, launchBrowser, outDir, overlap, recordCanvasText, startConnlab, watchErrors } from './harness.mjs';

/** Sockets each Watch test makes before its port is watched, so the chart window shows only these. */
const OPEN = 2; // ESTABLISHED on both sides
const SERVER_CLOSES = 12; // TIME_WAIT on the server side only (the client's socket is gone)
const CLIENT_CLOSES = 3; // TIME_WAIT on the client side only
/** Smallest swimlane text, px (issue 8: it was 10 px). */
const MIN_LANE_PX = 14;
/** Smallest legend text, px (the page's base font is 17 px). */
const MIN_LEGEND_PX = 16;

/** @type {import('./harness.mjs').Connlab | undefined} */
let app;
/** @type {Awaited<ReturnType<typeof launchBrowser>> | undefined} */
let browser;
/** @type {TcpPeer[]} */
const peers = [];

process.on('exit', () => app?.proc.kill('SIGKILL'));

/** Strips the backticks the server uses for code (the page renders them as <code>). */
const plain = (/** @type {string} */ s) => s.replaceAll('`', '');

/**
 * A port with OPEN connections open, SERVER_CLOSES closed by the server and
 * CLIENT_CLOSES by the client: TIME_WAIT (60 s) on one side or the other.
 * Made afresh by each test, so the TIME_WAIT is still there when it looks.
 */
async function portWithSockets() {
  const peer = new TcpPeer();
  peers.push(peer);
  const port = await peer.listen();
  const pairs = await peer.dial(OPEN + SERVER_CLOSES + CLIENT_CLOSES);
  for (const p of pairs.slice(OPEN, OPEN + SERVER_CLOSES)) await TcpPeer.closeFrom(p, 'server');
  for (const p of pairs.slice(OPEN + SERVER_CLOSES)) await TcpPeer.closeFrom(p, 'client');
  return port;
}

/**
 * Asserts every box is inside the viewport, and no two of them overlap.
 * @param {{ name: string, x: number, y: number, width: number, height: number }[]} list
 * @param {{ width: number, height: number }} vp
 */
function assertLaidOut(list, vp) {
  for (const b of list) assert.ok(inside(b, vp), `${b.name} inside ${vp.width}×${vp.height}: ${JSON.stringify(b)}`);
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length; j++) assert.ok(!overlap(list[i], list[j]), `${list[i].name} and ${list[j].name} do not overlap: ${JSON.stringify([list[i], list[j]])}`);
  }
}

/**
 * The page neither scrolls sideways nor has been scrolled.
 * @param {import('playwright-core').Page} page
 * @param {{ width: number }} vp
 */
async function assertNoScroll(page, vp) {
  const s = await page.evaluate(() => ({ x: window.scrollX, y: window.scrollY, w: document.documentElement.scrollWidth }));
  assert.equal(s.y, 0, 'not scrolled');
  assert.ok(s.w <= vp.width, `no horizontal overflow: ${s.w} > ${vp.width}`);
}

/**
 * Elements whose content overflows their box (clipped or spilling out).
 * @param {import('playwright-core').Locator} loc
 */
async function overflowing(loc) {
  return loc.evaluateAll((els) => els.filter((el) => el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1).map((el) => el.outerHTML.slice(0, 120)));
}

describe('layout at 1280×720 and 1920×1080', { timeout: 240_000 }, () => {
  before(async () => {
    app = await startConnlab(connlabBinary());
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await app?.stop();
    await Promise.all(peers.splice(0).map((p) => p.close()));
  });

  for (const vp of VIEWPORTS) {
    const size = `${vp.width}x${vp.height}`;

    test(`Watch at ${size}: tiles, charts and legends in view; both charts on one y scale`, async () => {
      assert.ok(app && browser);
      const url = app.url;
      const port = await portWithSockets();
      const page = await browser.context.newPage();
      await page.setViewportSize(vp);
      const errors = watchErrors(page);
      await page.goto(`${url}/watch/${port}`);
      // The kernel's counts now (TIME_WAIT lasts 60 s: well past this test). Polled until the
      // server-first closes have left the client side (LAST_ACK lasts microseconds on loopback).
      // At least, not exactly: the kernel may give this listener a port that, minutes ago, was the
      // ephemeral port of another test's client, whose peer still holds a TIME_WAIT with that
      // remote port; connlab rightly counts it on this port's client side.
      const api = await eventually(
        'API counts',
        async () => {
          const st = await getJSON(`${url}/api/ports/${port}`);
          const total = (/** @type {Record<string, number>} */ c) => Object.values(c ?? {}).reduce((a, b) => a + b, 0);
          const c = { server: total(st.counts.server), client: total(st.counts.client), tw: st.counts.server.TIME_WAIT ?? 0 };
          const ok = c.tw >= SERVER_CLOSES && st.counts.client.ESTABLISHED === OPEN && (st.counts.client.TIME_WAIT ?? 0) >= CLIENT_CLOSES && !st.counts.client.LAST_ACK;
          if (!ok) throw new Error(`counts ${JSON.stringify(st.counts)}`);
          return c;
        },
        45_000,
      );
      await eventually('tiles', async () => Number(await page.getByTestId('tile-server-TIME_WAIT').getByTestId('tile-value').innerText()) >= SERVER_CLOSES);

      // One y scale: the client side (5 sockets here) is drawn on the server side's scale (15), not its own.
      const ymax = await eventually('both charts scaled', async () => {
        const v = await page.locator('[data-testid=chart]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-ymax'))));
        return v.length === 2 && v.every((n) => n > 0) ? v : false;
      });
      assert.equal(ymax[0], ymax[1], `server and client charts share one y range: ${ymax}`);
      assert.ok(ymax[1] >= api.server && ymax[1] >= api.client, `the range holds both sides' totals: ${ymax} for ${JSON.stringify(api)}`);

      // Everything a room reads is in view, side by side, nothing on top of anything.
      for (const side of ['server', 'client']) {
        const card = page.getByTestId(`side-${side}`);
        const parts = [
          ...(await boxes(card.getByTestId(`tile-${side}-ESTABLISHED`), `${side} ESTABLISHED tile`)),
          ...(await boxes(card.getByTestId(`tile-${side}-TIME_WAIT`), `${side} TIME_WAIT tile`)),
          ...(await boxes(card.getByTestId('chart'), `${side} chart`)),
          ...(await boxes(card.getByTestId('legend'), `${side} legend`)),
        ];
        assertLaidOut(parts, vp);
        // The legend is not cut: every entry inside the card and the viewport, none overflowing.
        const [cardBox] = await boxes(card, `${side} card`);
        assert.ok(inside(cardBox, vp), `${side} card in view: ${JSON.stringify(cardBox)}`);
        const entries = await boxes(card.getByTestId('legend').locator('li'), `${side} legend entry`);
        assert.ok(entries.length >= 2, `${side} legend lists the states: ${entries.length}`);
        for (const e of entries) {
          assert.ok(inside(e, vp), `${e.name} in view: ${JSON.stringify(e)}`);
          assert.ok(e.y + e.height <= cardBox.y + cardBox.height && e.x + e.width <= cardBox.x + cardBox.width, `${e.name} inside its card`);
        }
        assert.deepEqual(await overflowing(card.getByTestId('legend').locator('li')), [], `${side} legend entries not clipped`);
        const px = await card
          .getByTestId('legend')
          .locator('li')
          .first()
          .evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
        assert.ok(px >= MIN_LEGEND_PX, `${side} legend text ${px} px`);
      }
      assertLaidOut([...(await boxes(page.getByTestId('side-server'), 'server card')), ...(await boxes(page.getByTestId('side-client'), 'client card'))], vp);
      await assertNoScroll(page, vp);

      fs.mkdirSync(outDir, { recursive: true });
      await page.mouse.move(0, 0);
      await page.screenshot({ path: path.join(outDir, `layout-watch-${size}.png`) });
      assert.deepEqual(errors, [], 'no console errors, page errors, failed or external requests');
      await page.close();
    });

    test(`Lab at ${size}, knobs hidden: question, answer and both charts in view; Run stays put; lanes readable`, async () => {
      assert.ok(app && browser);
      const url = app.url;
      const page = await browser.context.newPage();
      await page.setViewportSize(vp);
      const errors = watchErrors(page);
      await recordCanvasText(page, 'swimlanes');
      await page.goto(`${url}/lab?preset=client-disable-keepalive&requests=10&observe=2s`);
      await page.getByRole('button', { name: /Hide knobs/ }).click();
      await eventually('knobs hidden', async () => (await page.locator('#knobs').count()) === 0);

      // Run and Stop: one box, before, while and after the run.
      const runButton = page.locator('button[data-testid=run]');
      const [before] = await boxes(runButton, 'Run before');
      assert.ok(inside(before, vp), `Run in view: ${JSON.stringify(before)}`);
      const ids = /** @type {string[]} */ ([]);
      page.on('response', async (r) => {
        if (r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/experiments' && r.status() === 201) ids.push((await r.json()).id);
      });
      await runButton.click();
      // Read in the page, at a frame where Stop is shown: the run lasts ~2.5 s, a round trip under load can take seconds.
      const during = await (
        await page.waitForFunction(
          () => {
            const r = document.querySelector('[data-testid=stop]')?.getBoundingClientRect();
            return r && r.width > 0 ? { name: 'Stop while running', x: r.x, y: r.y, width: r.width, height: r.height } : null;
          },
          undefined,
          { polling: 'raf', timeout: 10_000 },
        )
      ).jsonValue();
      await eventually('final verdict', async () => (await page.getByTestId('verdict').getAttribute('data-final')) === 'true', 30_000);
      await eventually('Run back', async () => (await runButton.count()) === 1);
      const [afterRun] = await boxes(runButton, 'Run after');
      assert.deepEqual({ ...during, name: '' }, { ...before, name: '' }, 'Stop takes the Run button’s box');
      assert.deepEqual({ ...afterRun, name: '' }, { ...before, name: '' }, 'Run comes back to the same box');
      assert.deepEqual(await overflowing(runButton), [], 'Run label not clipped');

      // Answer first: the question, the answer under it, and both kernel charts, without scrolling.
      assert.equal(ids.length, 1);
      const res = await getJSON(`${url}/api/experiments/${ids[0]}`);
      assert.equal(res.status, 'completed');
      const answer = page.getByTestId('answer');
      await eventually('final answer', async () => (await answer.getAttribute('data-final')) === 'true');
      const want = res.answer ? res.answer : res.findings[0].text;
      assert.equal(await answer.getByTestId('answer-text').innerText(), plain(want), 'the server’s answer, else the verdict’s first finding');
      const top = [
        ...(await boxes(page.getByTestId('preset-question'), 'question')),
        ...(await boxes(answer, 'answer')),
        ...(await boxes(runButton, 'Run')),
        ...(await boxes(page.getByTestId('lab-chart-server'), 'server chart')),
        ...(await boxes(page.getByTestId('lab-chart-client'), 'client chart')),
      ];
      assertLaidOut(top, vp);
      const [q, a] = top;
      assert.ok(a.y >= q.y + q.height - 0.5 && a.y - (q.y + q.height) < 24, `the answer right under the question: ${JSON.stringify([q, a])}`);
      await assertNoScroll(page, vp);
      // The same finding leads the verdict card, as its headline.
      const first = page.getByTestId('finding').first();
      assert.equal(await first.getAttribute('data-headline'), 'true');
      assert.equal(await first.getAttribute('data-finding'), res.findings[0].id);
      const headPx = await first.getByTestId('finding-text').evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
      const nextPx = await page
        .getByTestId('finding')
        .nth(1)
        .getByTestId('finding-text')
        .evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
      assert.ok(headPx > nextPx, `headline larger than the other findings: ${headPx} vs ${nextPx}`);

      // One y scale for the Lab's two charts too.
      const ymax = await page.locator('[data-testid^=lab-chart-] [data-testid=chart]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-ymax'))));
      assert.equal(ymax.length, 2);
      assert.equal(ymax[0], ymax[1], `Lab charts share one y range: ${ymax}`);
      const peaks = res.kernel.timeWaitPeak;
      assert.ok(ymax[0] >= Math.max(peaks.server, peaks.client), `the range holds the larger TIME_WAIT peak: ${ymax} for ${JSON.stringify(peaks)}`);

      // Swimlanes: every text on the canvas at least 14 px, none squeezed into a narrower box.
      await eventually('lanes drawn', async () => Number(await page.getByTestId('swimlanes').getAttribute('data-lanes')) === res.lanes.length);
      // The lanes repaint while TIME_WAIT counts down (60 s): drop what is recorded, read a fresh paint.
      await canvasTexts(page);
      const texts = await eventually('swimlane texts', async () => {
        const t = await canvasTexts(page);
        return t.some((x) => /^:\d+$/.test(x.text)) ? t : false;
      });
      for (const t of texts) {
        const px = Number(/(\d+(?:\.\d+)?)px/.exec(t.font)?.[1]);
        assert.ok(px >= MIN_LANE_PX, `swimlane text "${t.text}" at ${t.font}`);
        if (t.maxWidth !== null) assert.ok(t.width <= t.maxWidth + 0.5, `swimlane text "${t.text}" not squeezed: ${t.width} > ${t.maxWidth}`);
      }
      for (const letter of ['S', 'C'])
        assert.ok(
          texts.some((t) => t.text === letter),
          `track letter ${letter} drawn`,
        );

      fs.mkdirSync(outDir, { recursive: true });
      await page.mouse.move(0, 0);
      await page.screenshot({ path: path.join(outDir, `layout-lab-${size}.png`) });
      assert.deepEqual(errors, [], 'no console errors, page errors, failed or external requests');
      await page.close();
    });
  }
});
