// An archive layer read by the map straight from its PMTiles file with the `pmtiles://` protocol
// (web/vendor/pmtiles), as from a CDN: here the file is served by Bourg itself at
// /archives/{id}.pmtiles with byte ranges. The archive is the demo's communes around Lens,
// exported by the binary under test; the page must draw its features without asking the server
// for the layer's tiles.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { start, stop, open, root } from './support.mjs';

const BIN = process.env.BOURG_BIN ?? path.join(root, 'target/debug/bourg');
let base;
let dir;

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'bourg-e2e-archive-'));
  // --no-cache: nothing written under $HOME.
  execFileSync(BIN, ['export', '--no-cache', '--layers', 'layers/demo', '--layer', 'communes', '--minzoom', '5',
    '--maxzoom', '11', '--bbox', '2.6,50.3,3.0,50.55', '--output', path.join(dir, 'communes.pmtiles')],
  { cwd: root, stdio: 'ignore', env: { ...process.env, BOURG_LOG: 'warn' } });
  // A vector layer beside the archive, its source path made absolute.
  const departements = readFileSync(path.join(root, 'layers/demo/departements.toml'), 'utf8')
    .replaceAll('"../data/', `"${path.join(root, 'layers/data')}/`);
  writeFileSync(path.join(dir, 'departements.toml'), departements);
  writeFileSync(path.join(dir, 'communes_archive.toml'), [
    'title = "Communes (archive PMTiles)"',
    '[archive]',
    'path = "communes.pmtiles"',
    'url = "/archives/communes_archive.pmtiles"',
    '[style]',
    'color = "#aa3377"',
    '',
  ].join('\n'));
  base = await start({ layers: dir });
});

after(async () => {
  await stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the map draws an archive layer from its PMTiles file', { timeout: 180_000 }, async () => {
  const style = await (await fetch(`${base}/style.json`)).json();
  assert.equal(style.sources.communes_archive.url, `pmtiles://${base}/archives/communes_archive.pmtiles`);

  const { page, errors } = await open(`${base}/#map=10/50.43/2.83`);
  // Tiles may arrive after the first idle: wait for the archive's features themselves.
  await page.waitForFunction(() => window.bourg.map.queryRenderedFeatures()
    .some((f) => f.layer.metadata?.['bourg:archive'] === 'communes_archive'), null, { timeout: 60_000 });
  const names = await page.evaluate(() => window.bourg.map.queryRenderedFeatures()
    .filter((f) => f.layer.metadata?.['bourg:archive'] === 'communes_archive')
    .map((f) => f.properties.nom));
  assert.ok(names.includes('Lens'), `communes drawn from the archive: ${[...new Set(names)].slice(0, 10)}`);

  // Read through the PMTiles file (byte ranges), never through the server's tile route.
  const urls = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name));
  assert.ok(urls.some((u) => u.includes('/archives/communes_archive.pmtiles')), 'the archive file was read');
  assert.ok(!urls.some((u) => u.includes('/tiles/communes_archive')), 'no tile asked of the server');
  assert.deepEqual(errors.filter((e) => /pmtiles|archive/i.test(e)), []);
  await page.close();
});
