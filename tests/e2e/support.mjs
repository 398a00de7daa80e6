// What the end-to-end tests share: a real server on a free port (BOURG_BIN, the built binary),
// Debian's Chromium driven by playwright-core, pages opened once the map is idle. The server keeps
// its qualification database in a fresh temporary folder and has an admin token (ADMIN_TOKEN). Not
// a test file itself (`node --test tests/e2e/` runs the `*.test.mjs` files).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(path.join(root, 'web/package.json'));
const { chromium } = require('playwright-core');

const BIN = process.env.BOURG_BIN ?? path.join(root, 'target/debug/bourg');
export const OUT = process.env.E2E_OUT ?? path.join(root, 'target/e2e');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
/** The server's admin token (`Authorization: Bearer …`: organisations, members, campaigns). */
export const ADMIN_TOKEN = 'e2e-admin-0123456789abcdef-token';
/** The server's base URL, once started. */
export let BASE;

let server;
let browser;
let dataDir;

/** Starts the server on the demo layers (or the `layers` folder given) and the browser; resolves to
 * the server's base URL. */
export async function start({ layers = 'layers/demo' } = {}) {
  // --no-cache: a test writes nothing under $HOME. The server is the debug build on a machine
  // that may be busy: its CPU line and deadlines are made long enough never to answer 503 here
  // (they are tested in tests/it/limits.rs).
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'bourg-e2e-'));
  server = spawn(BIN, ['serve', '--no-cache', '--addr', '127.0.0.1:0', '--layers', layers, '--web', 'web',
    '--database', `sqlite:${path.join(dataDir, 'bourg.sqlite3')}`, '--admin-token', ADMIN_TOKEN], {
    cwd: root,
    env: {
      ...process.env,
      BOURG_LOG: 'info',
      BOURG_CPU_QUEUE: '100000',
      BOURG_CPU_WAIT_SECS: '600',
      BOURG_REQUEST_TIMEOUT_SECS: '900',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const base = await new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${log}`)), 60_000);
    server.stderr.on('data', (chunk) => {
      log += chunk;
      const m = log.match(/serving on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    server.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${log}`)));
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
  });
  mkdirSync(OUT, { recursive: true });
  BASE = base;
  return base;
}

/** Closes the browser and stops the server. */
export async function stop() {
  await browser?.close();
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill();
    await exited;
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}

/** Opens a page (desktop size unless told), collecting console errors; resolves once the map is
 * idle. */
export async function open(url, viewport = { width: 1280, height: 800 }) {
  // Each page its own browser context: its own cookies (a signed-in member per page).
  const page = await browser.newPage({ viewport });
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForFunction(() => window.bourg?.ready === true, null, { timeout: 60_000 });
  await idle(page);
  return { page, errors };
}

/** Resolves once the map has loaded its tiles and stopped moving. */
export function idle(page) {
  return page.evaluate(() => new Promise((resolve) => {
    const map = window.bourg.map;
    if (map.loaded() && map.areTilesLoaded() && !map.isMoving()) resolve();
    else map.once('idle', () => resolve());
  }));
}
