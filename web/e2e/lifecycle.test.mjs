// Viewers come and go while a port churns: switching between a busy port
// and a quiet one, opening and closing tabs. connlab must go on serving
// (issue #6: the first poll after a viewer left a churning port crashed it).
//
// Run: npm run e2e (see watch.test.mjs).

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { TcpPeer, connlabBinary, eventually, getJSON, launchBrowser, startConnlab, watchErrors } from './harness.mjs';

/** @type {import('./harness.mjs').Connlab | undefined} */
let app;
/** @type {Awaited<ReturnType<typeof launchBrowser>> | undefined} */
let browser;
/** @type {TcpPeer[]} */
const peers = [];
/** @type {ReturnType<typeof setInterval> | undefined} */
let churnTimer;

async function cleanup() {
  clearInterval(churnTimer);
  await browser?.close();
  browser = undefined;
  if (app) await app.stop();
  app = undefined;
  await Promise.all(peers.splice(0).map((p) => p.close()));
}
process.on('exit', () => app?.proc.kill('SIGKILL'));

/**
 * Opens and closes a connection to port every few ms (the client closes
 * first; Node answers the FIN), until churnTimer is cleared.
 * @param {number} port
 */
function churn(port) {
  let made = 0;
  churnTimer = setInterval(() => {
    const c = net.connect(port, '127.0.0.1');
    c.on('error', () => {});
    c.on('connect', () => {
      made++;
      c.end();
    });
  }, 4);
  return () => made;
}

/**
 * @param {string} url
 * @param {number} port
 */
async function addPort(url, port) {
  const res = await fetch(`${url}/api/ports`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ port }) });
  assert.equal(res.status, 201, `POST /api/ports ${port}: ${await res.text()}`);
}

/**
 * @param {import('playwright-core').Page} page
 * @param {number} port
 */
async function showing(page, port) {
  await eventually(`panel for :${port}`, async () => (await page.getByTestId('port-panel').getAttribute('data-port')) === String(port));
}

describe('viewers leaving and switching while a port churns', { timeout: 180_000 }, () => {
  before(async () => {
    app = await startConnlab(connlabBinary(), ['-addr', '127.0.0.1:0', '-interval', '50ms']);
    browser = await launchBrowser();
  });
  after(cleanup);

  test('switching ports and closing tabs leaves connlab serving', async () => {
    assert.ok(app && browser);
    const url = app.url;
    const busy = new TcpPeer();
    const quiet = new TcpPeer();
    peers.push(busy, quiet);
    const [busyPort, quietPort] = [await busy.listen(), await quiet.listen()];
    await addPort(url, busyPort);
    await addPort(url, quietPort);
    const made = churn(busyPort);

    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${url}/watch/${busyPort}`);
    await showing(page, busyPort);
    await eventually('churn visible in the table', async () => Number((await page.getByTestId('socket-total').innerText()).replace(/,/g, '')) > 10);

    // Switch back and forth through the port list: each switch unsubscribes
    // from the churning port while its polls go on.
    for (let i = 0; i < 6; i++) {
      await page.getByRole('link', { name: `:${quietPort}` }).click();
      await showing(page, quietPort);
      await page.getByRole('link', { name: `:${busyPort}` }).click();
      await showing(page, busyPort);
    }

    // More tabs on the busy port, closed while it churns.
    for (let i = 0; i < 3; i++) {
      const tab = await browser.context.newPage();
      await tab.goto(`${url}/watch/${busyPort}`);
      await showing(tab, busyPort);
      await tab.close();
    }
    await page.close();

    // Polls went on with nobody listening; the process is alive and serving.
    const before = made();
    await eventually('more churn after the tabs closed', () => made() > before + 50);
    const health = await getJSON(`${url}/healthz`);
    assert.equal(health.status, 'ok');
    assert.equal(app.proc.exitCode, null, `connlab exited:\n${app.output()}`);
    assert.doesNotMatch(app.output(), /panic|fatal error/);
    const watched = (await getJSON(`${url}/api/ports`)).map((/** @type {{port:number}} */ p) => p.port);
    assert.ok(watched.includes(busyPort) && watched.includes(quietPort), `both ports still watched: ${watched}`);

    // A new viewer gets live data for the busy port.
    const again = await browser.context.newPage();
    const againErrors = watchErrors(again);
    await again.goto(`${url}/watch/${busyPort}`);
    await showing(again, busyPort);
    await eventually('live table again', async () => Number((await again.getByTestId('socket-total').innerText()).replace(/,/g, '')) > 10);
    await again.close();
    assert.deepEqual([...errors, ...againErrors], [], 'no console errors, page errors or failed requests');
  });
});
