// The binary alone serves the whole map: the server runs from an empty folder without --web (the UI
// and MapLibre are compiled in), Chromium loads MapLibre under its fingerprint (immutable, brotli),
// and commune names are drawn with the glyphs Bourg serves, with no console error.
// Run by `make test` (node --test tests/e2e/); BOURG_BIN points at the built binary.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { root, OUT, idle } from './support.mjs';

const require = createRequire(path.join(root, 'web/package.json'));
const { chromium } = require('playwright-core');
const BIN = process.env.BOURG_BIN ?? path.join(root, 'target/debug/bourg');

let server;
let browser;
let base;
let cwd;

before(async () => {
  cwd = mkdtempSync(path.join(tmpdir(), 'bourg-assets-'));
  const env = { ...process.env };
  delete env.BOURG_WEB;
  server = spawn(BIN, ['serve', '--no-cache', '--addr', '127.0.0.1:0', '--layers', path.join(root, 'layers/demo')], {
    cwd,
    env: { ...env, BOURG_LOG: 'info', BOURG_CPU_QUEUE: '100000', BOURG_CPU_WAIT_SECS: '600', BOURG_REQUEST_TIMEOUT_SECS: '900' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  base = await new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${log}`)), 60_000);
    server.stderr.on('data', (chunk) => {
      log += chunk;
      const m = log.match(/serving on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    server.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${log}`)));
  });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
  });
});

after(async () => {
  await browser?.close();
  server?.kill();
  if (cwd) rmSync(cwd, { recursive: true, force: true });
});

test('the embedded UI draws commune names with served glyphs', { timeout: 180_000 }, async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
  const responses = [];
  page.on('response', async (r) => responses.push({ url: r.url(), status: r.status(), headers: await r.allHeaders() }));

  // Lens, at a zoom where commune names show (label_min_zoom 10).
  await page.goto(`${base}/#map=11/50.43/2.83`);
  await page.waitForFunction(() => window.bourg?.ready === true, null, { timeout: 60_000 });
  await idle(page);

  const labels = await page.evaluate(() => {
    const map = window.bourg.map;
    const ids = map.getStyle().layers.filter((l) => l.type === 'symbol' && l.id.startsWith('communes')).map((l) => l.id);
    return map.queryRenderedFeatures({ layers: ids }).map((f) => f.properties.nom);
  });
  assert.ok(labels.length >= 10 && labels.some((n) => /[éèœ]/.test(n)), `commune labels drawn: ${labels.slice(0, 20)}`);

  const mjs = responses.find((r) => /\/vendor\/maplibre-gl\/[0-9a-f]{16}\/maplibre-gl\.mjs$/.test(r.url));
  assert.ok(mjs, `MapLibre fingerprinted: ${responses.map((r) => r.url).join('\n')}`);
  assert.equal(mjs.status, 200);
  assert.equal(mjs.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.equal(mjs.headers['content-encoding'], 'br');
  assert.match(mjs.headers['content-type'], /^text\/javascript/);
  const worker = responses.find((r) => /\/vendor\/maplibre-gl\/[0-9a-f]{16}\/maplibre-gl-worker\.mjs/.test(r.url));
  assert.ok(worker && worker.status === 200, 'the worker is loaded from the same fingerprinted folder');
  const glyphs = responses.filter((r) => r.url.includes('/fonts/'));
  assert.ok(glyphs.length > 0 && glyphs.every((r) => r.status === 200), `glyph requests: ${glyphs.map((r) => `${r.status} ${r.url}`)}`);

  mkdirSync(OUT, { recursive: true });
  await page.screenshot({ path: path.join(OUT, 'bourg-labels.png') });
  assert.deepEqual(errors, []);
});

// QGIS (python3-qgis, installed by `make setup`) imports the style with its own converter: the
// categories (`match` on label lists) keep their colours, the labels their fields. QGIS 3.22 reads
// no `step` and no `case`, so choropleths and the aggregated cells import with a warning, in the
// plain colour (README, "Glyphs / style in other clients").
test('QGIS imports the categories and the labels of the style', { timeout: 120_000 }, async (t) => {
  const { existsSync, writeFileSync } = await import('node:fs');
  const { execFileSync } = await import('node:child_process');
  if (!existsSync('/usr/lib/python3/dist-packages/qgis')) {
    if (process.env.CI_REQUIRE_QGIS) assert.fail('python3-qgis is not installed');
    t.skip('python3-qgis is not installed');
    return;
  }
  const style = await (await fetch(`${base}/style.json`)).json();
  const file = path.join(cwd, 'style.json');
  writeFileSync(file, JSON.stringify(style));
  const out = JSON.parse(execFileSync('/usr/bin/python3', [path.join(root, 'tests/qgis/style_import.py'), file], {
    env: { ...process.env, QT_QPA_PLATFORM: 'offscreen', XDG_RUNTIME_DIR: cwd },
    stdio: ['ignore', 'pipe', 'ignore'],
  }).toString());
  const categorised = style.layers.filter((l) => {
    const c = l.paint?.['fill-color'] ?? l.paint?.['circle-color'];
    return Array.isArray(c) && c[0] === 'match';
  });
  assert.ok(categorised.length >= 1, 'the demo style has categories');
  for (const l of categorised) {
    const got = out.layers[l.id];
    assert.ok(got, `QGIS made a style for ${l.id}`);
    assert.deepEqual(got.warnings, [], `${l.id} imports without warning`);
    const expr = l.paint['fill-color'] ?? l.paint['circle-color'];
    for (let i = 2; i + 1 < expr.length; i += 2) {
      assert.ok(got.colour.includes(`'${expr[i][0]}'`), `${l.id}: category ${expr[i][0]} in ${got.colour}`);
      assert.ok(got.colour.toLowerCase().includes(expr[i + 1].toLowerCase()), `${l.id}: colour ${expr[i + 1]}`);
    }
  }
  for (const l of style.layers.filter((x) => x.type === 'symbol')) {
    assert.equal(out.labels[l.id], `"${l.layout['text-field'][1]}"`, `${l.id} labels its field`);
  }
});
