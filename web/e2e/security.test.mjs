// Real browser, real binary: the access token (startup URL -> HttpOnly
// SameSite=Strict cookie -> the app and its websocket), the 401 without it,
// and the Content-Security-Policy: the app runs under it with no console
// error, and a violation does show up as a console error (so the other
// real-browser tests, which require none, would catch one).
//
// The token is exercised on 127.0.0.1 with -token (connlab requires a token
// given explicitly even on loopback), so the test binds no other address.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { connlabBinary, eventually, launchBrowser, startConnlab, watchErrors } from './harness.mjs';

const TOKEN = 'e2e-token-0123456789abcdefXYZ';

/** @type {import('./harness.mjs').Connlab | undefined} */
let app;
/** @type {Awaited<ReturnType<typeof launchBrowser>> | undefined} */
let browser;
/** @type {http.Server | undefined} */
let other;

async function cleanup() {
  await browser?.close();
  browser = undefined;
  if (app) await app.stop();
  app = undefined;
  if (other) await new Promise((r) => other?.close(() => r(undefined)));
  other = undefined;
}
process.on('exit', () => app?.proc.kill('SIGKILL'));

describe('access token and CSP in a real browser', { timeout: 120_000 }, () => {
  before(async () => {
    app = await startConnlab(connlabBinary(), ['-addr', '127.0.0.1:0', '-token', TOKEN]);
    browser = await launchBrowser();
  });
  after(cleanup);

  test('without the token: 401 JSON for the page, the API and the websocket; /healthz open', async () => {
    assert.ok(app);
    assert.match(app.output(), /Open the dashboard with its access token:\n {4}http:\/\/127\.0\.0\.1:\d+\/\?token=<the -token value>/);
    assert.ok(!app.output().includes(TOKEN), 'a token given with -token is not printed');
    const { url } = app;
    for (const path of ['/', '/watch/8081', '/api/ports', '/ws']) {
      const res = await fetch(url + path);
      assert.equal(res.status, 401, path);
      const body = await res.json();
      assert.equal(body.error.code, 'unauthorized', path);
      assert.equal(res.headers.get('x-frame-options'), 'DENY', path);
    }
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    assert.equal((await fetch(`${url}/api/ports`, { headers: { Authorization: `Bearer ${TOKEN}` } })).status, 200);
  });

  test('the startup URL sets the cookie, drops the token from the URL, and the app runs under the CSP', async () => {
    assert.ok(app && browser);
    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    const doc = await page.goto(`${app.url}/watch?token=${TOKEN}`);
    assert.equal(page.url(), `${app.url}/watch`, 'the token left the address bar');
    assert.equal(doc?.status(), 200);
    const csp = (await doc?.allHeaders())?.['content-security-policy'] ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    // The websocket is same-origin ws:, allowed by connect-src 'self', and carries the cookie.
    await eventually('websocket live', async () => (await page.getByTestId('conn-status').getAttribute('data-state')) === 'open');
    await eventually('system panel filled', async () => (await page.getByTestId('go-version').innerText()).startsWith('go'));
    assert.equal(await page.evaluate(() => document.cookie), '', 'the cookie is HttpOnly: no script can read it');
    const cookies = await browser.context.cookies(app.url);
    assert.equal(cookies.length, 1);
    assert.equal(cookies[0].value, TOKEN);
    assert.equal(cookies[0].httpOnly, true);
    assert.equal(cookies[0].sameSite, 'Strict');

    // The Lab too (its own styles, canvases and API calls).
    await page.goto(`${app.url}/lab`);
    await eventually('lab presets listed', async () => (await page.locator('select').first().locator('option').count()) > 5);
    assert.deepEqual(errors, [], 'no console errors, page errors or failed requests under the CSP');

    // A wrong token in a link: 401, the message says why.
    const res = await page.goto(`${app.url}/?token=stale-token-from-yesterday`);
    assert.equal(res?.status(), 401);
    assert.match(await page.locator('body').innerText(), /not this connlab's/);
    await page.close();
  });

  test('a link from another site lands in the app (the cookie set on the redirect is sent)', async () => {
    assert.ok(app && browser);
    // Another site: a page on 127.0.0.1:<other port> linking to localhost:<port>
    // (a different site: IP address vs name), as a chat or wiki would.
    const target = `${app.url.replace('127.0.0.1', 'localhost')}/?token=${TOKEN}`;
    other = http.createServer((_, res) => {
      res.setHeader('Content-Type', 'text/html');
      res.end(`<!doctype html><a id="go" href="${target}">open connlab</a>`);
    });
    other.listen(0, '127.0.0.1');
    await once(other, 'listening');
    const port = /** @type {import('node:net').AddressInfo} */ (other.address()).port;
    // The persistent context has no separate browser: start without cookies instead.
    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.click('#go');
    await eventually('landed on the app', () => page.url() === `${app?.url.replace('127.0.0.1', 'localhost')}/`);
    await eventually('websocket live', async () => (await page.getByTestId('conn-status').getAttribute('data-state')) === 'open');
    // The hop replaced its history entry: Back returns to the other site, not to the token URL.
    await page.goBack();
    await eventually('back on the other site', () => page.url() === `http://127.0.0.1:${port}/`);
    await page.close();
  });

  test('a CSP violation is a console error', async () => {
    assert.ok(app && browser);
    const page = await browser.context.newPage();
    /** @type {string[]} */
    const console = [];
    page.on('console', (m) => {
      if (m.type() === 'error') console.push(m.text());
    });
    await page.goto(`${app.url}/?token=${TOKEN}`);
    await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.injected = true';
      document.body.append(s);
      const st = document.createElement('style');
      st.textContent = 'body { color: red }';
      document.head.append(st);
    });
    await eventually('CSP errors on the console', () => console.filter((t) => /Content Security Policy/.test(t)).length >= 2);
    assert.equal(await page.evaluate(() => /** @type {any} */ (window).injected), undefined, 'the inline script did not run');
    await page.close();
  });
});
