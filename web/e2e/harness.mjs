// Shared pieces of the real-browser tests: build and start the connlab
// binary on a free port, launch Debian's chromium through playwright-core
// with a fresh profile, make real TCP connections on loopback, and poll with
// deadlines (never bare sleeps).

import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const webDir = path.resolve(import.meta.dirname, '..');
export const repoDir = path.resolve(webDir, '..');
/** Git-ignored folder for the binary and screenshots. */
export const outDir = path.join(repoDir, 'test-output');

/** Chromium flags that work in this container (see docs/ARCHITECTURE.md, "Browser tests"). */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/**
 * Polls fn until it returns a truthy value or the deadline passes; the last
 * error or value is reported on timeout.
 * @template T
 * @param {string} what
 * @param {() => Promise<T> | T} fn
 * @param {number} [timeoutMs]
 * @param {number} [everyMs]
 * @returns {Promise<Exclude<T, false | null | undefined | 0 | ''>>}
 */
export async function eventually(what, fn, timeoutMs = 15_000, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  /** @type {unknown} */
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return /** @type {Exclude<T, false | null | undefined | 0 | ''>} */ (v);
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${detail}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Builds the binary unless CONNLAB_BIN names one; returns its path. */
export function connlabBinary() {
  if (process.env.CONNLAB_BIN) return path.resolve(process.env.CONNLAB_BIN);
  fs.mkdirSync(outDir, { recursive: true });
  const bin = path.join(outDir, 'connlab');
  execFileSync('go', ['build', '-o', bin, '..'], { cwd: webDir, stdio: 'inherit' });
  return bin;
}

/**
 * A running connlab. `url` comes from the line it prints on stdout.
 * @typedef {{ url: string, proc: import('node:child_process').ChildProcess, output: () => string, stop: () => Promise<void> }} Connlab
 */

/**
 * Starts the binary and waits for "connlab listening on http://127.0.0.1:<port>".
 * @param {string} bin
 * @param {string[]} args
 * @returns {Promise<Connlab>}
 */
export async function startConnlab(bin, args = ['-addr', '127.0.0.1:0']) {
  // No state directory unless a test asks for one: runs and ports must not
  // carry over from one test to the next, nor land in the user's config.
  const stateArgs = args.includes('-state') ? [] : ['-state', ''];
  const proc = spawn(bin, [...args, ...stateArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout?.setEncoding('utf8');
  proc.stderr?.setEncoding('utf8');
  proc.stderr?.on('data', (d) => (out += d));
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`connlab did not print its address within 20 s; output:\n${out}`)), 20_000);
    proc.stdout?.on('data', (d) => {
      out += d;
      const m = /connlab listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`connlab exited (${code}) before listening; output:\n${out}`));
    });
  });
  return {
    url: /** @type {string} */ (url),
    proc,
    output: () => out,
    stop: () => stopProcess(proc),
  };
}

/**
 * SIGTERM, then SIGKILL if it has not exited within 5 s.
 * @param {import('node:child_process').ChildProcess} proc
 */
export async function stopProcess(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = once(proc, 'exit');
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/**
 * Launches chromium with a fresh profile directory.
 * @returns {Promise<{ context: import('playwright-core').BrowserContext, close: () => Promise<void> }>}
 */
export async function launchBrowser() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'connlab-e2e-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1920, height: 1080 },
    colorScheme: 'dark',
  });
  return {
    context,
    close: async () => {
      await context.close().catch(() => {});
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Records console errors, page errors, failed requests and requests leaving
 * 127.0.0.1 of a page.
 * @param {import('playwright-core').Page} page
 */
export function watchErrors(page) {
  /** @type {string[]} */
  const errors = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  // Works offline: nothing but the app's own origin (no CDN, no remote fonts).
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.protocol !== 'data:' && u.hostname !== '127.0.0.1') errors.push(`external request: ${r.url()}`);
  });
  page.on('requestfailed', (r) => {
    // A websocket torn down by navigation or a stopped server is not a page error.
    if (r.url().endsWith('/ws')) return;
    errors.push(`requestfailed: ${r.url()} ${r.failure()?.errorText}`);
  });
  return errors;
}

/**
 * A TCP server on 127.0.0.1:0 that keeps hold of the sockets it accepts.
 */
export class TcpPeer {
  /** @type {net.Server} */
  server;
  /** @type {net.Socket[]} accepted, in accept order */
  accepted = [];
  /** @type {net.Socket[]} dialled by this test */
  dialled = [];
  port = 0;

  constructor() {
    this.server = net.createServer((s) => {
      s.on('error', () => {});
      this.accepted.push(s);
    });
  }

  async listen() {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = /** @type {net.AddressInfo} */ (this.server.address()).port;
    return this.port;
  }

  /**
   * Opens n connections and waits until the server accepted each of them.
   * @param {number} n
   * @returns {Promise<{ client: net.Socket, server: net.Socket }[]>}
   */
  async dial(n) {
    /** @type {{ client: net.Socket, server: net.Socket }[]} */
    const pairs = [];
    for (let i = 0; i < n; i++) {
      const before = this.accepted.length;
      const c = net.connect(this.port, '127.0.0.1');
      c.on('error', () => {});
      await once(c, 'connect');
      this.dialled.push(c);
      const server = await eventually('accept', () => this.accepted.length > before && this.acceptedFor(c), 5000, 5);
      pairs.push({ client: c, server });
    }
    return pairs;
  }

  /**
   * The accepted socket whose remote port is c's local port.
   * @param {net.Socket} c
   */
  acceptedFor(c) {
    return this.accepted.find((s) => s.remotePort === c.localPort);
  }

  /**
   * Closes a connection from one side first (FIN), the other side answering
   * with its own FIN (Node's allowHalfOpen is false), and waits until both
   * sockets are closed. The side that closed first keeps the TIME_WAIT.
   * @param {{ client: net.Socket, server: net.Socket }} pair
   * @param {'server' | 'client'} first
   */
  static async closeFrom(pair, first) {
    const closed = Promise.all([once(pair.client, 'close'), once(pair.server, 'close')]);
    (first === 'server' ? pair.server : pair.client).end();
    await closed;
  }

  async close() {
    for (const s of [...this.dialled, ...this.accepted]) s.destroy();
    await new Promise((r) => this.server.close(() => r(undefined)));
  }
}

/**
 * GET url as JSON.
 * @param {string} url
 */
export async function getJSON(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** The state colours of src/lib/states.ts that the browser tests look for, as RGB. */
export const STATE_RGB = { ESTABLISHED: [0x56, 0xb4, 0xe9], TIME_WAIT: [0xe6, 0x9f, 0x00] };

/**
 * For every canvas a locator matches: how many pixels are drawn (`any`) and
 * how many are close to each state colour.
 * @param {import('playwright-core').Locator} loc
 * @returns {Promise<Record<string, number>[]>}
 */
export async function canvasColours(loc) {
  return loc.evaluateAll(
    (canvases, colours) =>
      canvases.map((c) => {
        const cv = /** @type {HTMLCanvasElement} */ (c);
        const ctx = cv.getContext('2d');
        /** @type {Record<string, number>} */
        const hits = { any: 0 };
        if (!ctx || !cv.width || !cv.height) return hits;
        const { data } = ctx.getImageData(0, 0, cv.width, cv.height);
        for (const k of Object.keys(colours)) hits[k] = 0;
        for (let i = 0; i < data.length; i += 4) {
          if (data[i + 3] === 0) continue;
          hits.any++;
          for (const [k, [r, g, b]] of Object.entries(colours)) {
            if (data[i + 3] > 150 && Math.abs(data[i] - r) < 24 && Math.abs(data[i + 1] - g) < 24 && Math.abs(data[i + 2] - b) < 24) hits[k]++;
          }
        }
        return hits;
      }),
    STATE_RGB,
  );
}

/** The two screens connlab is designed for: a 720p projector and a full-HD monitor. */
export const VIEWPORTS = [
  { width: 1280, height: 720 },
  { width: 1920, height: 1080 },
];

/**
 * The bounding box of every element a locator matches, in viewport pixels
 * (the page not scrolled), with a name for messages.
 * @param {import('playwright-core').Locator} loc
 * @param {string} name
 * @returns {Promise<{ name: string, x: number, y: number, width: number, height: number }[]>}
 */
export async function boxes(loc, name) {
  const all = await loc.evaluateAll((els) =>
    els.map((el) => {
      const r = el.getBoundingClientRect();
      return { x: r.x, y: r.y, width: r.width, height: r.height };
    }),
  );
  return all.map((b, i) => ({ name: all.length > 1 ? `${name}[${i}]` : name, ...b }));
}

/** Sub-pixel slack for layout rounding. */
const SLACK_PX = 0.5;

/**
 * Whether a box lies inside the viewport (fully visible without scrolling)
 * and is not empty.
 * @param {{ x: number, y: number, width: number, height: number }} b
 * @param {{ width: number, height: number }} vp
 */
export function inside(b, vp) {
  return b.width > 0 && b.height > 0 && b.x >= -SLACK_PX && b.y >= -SLACK_PX && b.x + b.width <= vp.width + SLACK_PX && b.y + b.height <= vp.height + SLACK_PX;
}

/**
 * Whether two boxes overlap by more than the slack.
 * @param {{ x: number, y: number, width: number, height: number }} a
 * @param {{ x: number, y: number, width: number, height: number }} b
 */
export function overlap(a, b) {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > SLACK_PX && h > SLACK_PX;
}

/**
 * Records, for the canvases with the given data-testid, every fillText call:
 * the text, the font, its measured width and the maxWidth it was given (a
 * wider text is squeezed). Call before the page loads; read with
 * `canvasTexts(page)`.
 * @param {import('playwright-core').Page} page
 * @param {string} testid
 */
export async function recordCanvasText(page, testid) {
  await page.addInitScript((id) => {
    const w = /** @type {any} */ (window);
    w.__canvasText = [];
    const orig = CanvasRenderingContext2D.prototype.fillText;
    /**
     * @this {CanvasRenderingContext2D}
     * @param {string} text
     * @param {number} x
     * @param {number} y
     * @param {number} [maxWidth]
     */
    CanvasRenderingContext2D.prototype.fillText = function (text, x, y, maxWidth) {
      if (this.canvas.dataset.testid === id) {
        w.__canvasText.push({ text: String(text), font: this.font, width: this.measureText(String(text)).width, maxWidth: maxWidth ?? null });
      }
      return maxWidth === undefined ? orig.call(this, text, x, y) : orig.call(this, text, x, y, maxWidth);
    };
  }, testid);
}

/**
 * The fillText calls recorded since the page loaded (and clears them).
 * @param {import('playwright-core').Page} page
 * @returns {Promise<{ text: string, font: string, width: number, maxWidth: number | null }[]>}
 */
export async function canvasTexts(page) {
  return page.evaluate(() => {
    const w = /** @type {any} */ (window);
    const out = w.__canvasText ?? [];
    w.__canvasText = [];
    return out;
  });
}
