// End-to-end test of the map UI in headless Chromium (Debian's, driven by playwright-core):
// start a real server on a free port, load the map, and use it as a person would.
// Run by `make test` (node --test tests/e2e/); BOURG_BIN points at the built binary.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { start, stop, open, idle, OUT } from './support.mjs';

let base;

before(async () => { base = await start(); });
after(stop);

const center = (page) => page.evaluate(() => {
  const c = window.bourg.map.getCenter();
  return { lon: c.lng, lat: c.lat, zoom: window.bourg.map.getZoom() };
});

test('the map renders layers, finds Lens, opens a residence, shares its view', { timeout: 180_000 }, async () => {
  const { page, errors } = await open(`${base}/#map=8/50.4/2.6`);

  // Features from at least three layers are drawn.
  const drawn = await page.evaluate(() => [...new Set(window.bourg.map.queryRenderedFeatures().map((f) => f.layer.metadata?.['bourg:layer']).filter(Boolean))]);
  assert.ok(drawn.length >= 3, `layers drawn: ${drawn}`);

  // The top bar holds the title, the search box and the actions on one line.
  const bar = await page.evaluate(() => document.querySelector('header.bar').getBoundingClientRect().height);
  assert.ok(bar < 60, `header height ${bar}`);

  // Every layer has its toggle, its source and date; synthetic ones a badge.
  const panel = await page.evaluate(() => window.bourg.layers.map((l) => ({
    id: l.id,
    toggle: !!document.querySelector(`input[data-layer="${l.id}"]`),
    source: document.querySelector(`.layer[data-layer="${l.id}"] .source`)?.textContent ?? '',
    badge: !!document.querySelector(`.layer[data-layer="${l.id}"] .badge`),
    synthetic: l.synthetic,
  })));
  for (const l of panel) {
    assert.ok(l.toggle, `toggle for ${l.id}`);
    assert.match(l.source, /\d{4}/, `date in the source of ${l.id}`);
    assert.equal(l.badge, l.synthetic, `synthetic badge of ${l.id}`);
  }

  // Search "Lens" (typed without capital), pick the first result: the map flies to Lens.
  await page.fill('#search', 'lens');
  await page.waitForSelector('#search-results li');
  assert.match(await page.textContent('#search-results li'), /Lens\s*commune · 62498/);
  await page.press('#search', 'Enter');
  await page.waitForFunction(() => !window.bourg.map.isMoving(), null, { timeout: 30_000 });
  await idle(page);
  const atLens = await center(page);
  assert.ok(Math.abs(atLens.lon - 2.83) < 0.05 && Math.abs(atLens.lat - 50.43) < 0.05, `centre ${JSON.stringify(atLens)}`);
  assert.ok(atLens.zoom <= 14, `a search lands at z${atLens.zoom}`);
  // Fragility at every zoom: at the town scale (z12) the residences are groups, each carrying the
  // mean and the maximum fragility of its residences, which colour it.
  await page.evaluate(() => window.bourg.map.jumpTo({ center: [2.83, 50.43], zoom: 12 }));
  await idle(page);
  const groups = await page.evaluate(() => window.bourg.map.queryRenderedFeatures({ layers: ['rpls-circle'] }).map((f) => f.properties));
  assert.ok(groups.length > 20, `${groups.length} residence groups drawn at z12`);
  for (const g of groups) {
    assert.ok(g.aggregated, 'below z13 residences are grouped');
    assert.equal(typeof g.fragilite, 'number', `group ${JSON.stringify(g)} carries its mean fragility`);
    assert.ok(g.fragilite_max >= g.fragilite, 'and its maximum');
  }
  assert.ok(new Set(groups.map((g) => Math.floor(g.fragilite / 15))).size >= 2, 'groups differ in fragility');
  await page.waitForSelector('#sheet:not([hidden]) .indicators');
  const sheet = await page.textContent('#sheet');
  assert.match(sheet, /Lens/);
  assert.match(sheet, /Action Cœur de Ville/);
  assert.match(sheet, /département Pas-de-Calais/);
  assert.match(sheet, /Logements sociaux/);
  assert.ok(await page.$('#sheet .compare .compare-bar.own'), 'rates are drawn as bars against the département');
  // The national value, as the API gives it, beside the LOVAC rate.
  const api = await (await fetch(`${base}/api/territories/62498`)).json();
  const lovac = api.indicators.find((i) => i.id === 'private_long_term_vacancy_rate');
  assert.equal(typeof lovac.france, 'number');
  const bars = await page.$$eval('#sheet .compare-row', (rows) => rows.map((r) => r.textContent));
  const shown = lovac.france.toLocaleString('fr-FR');
  assert.ok(bars.some((t) => t.startsWith('France') && t.includes(shown)), `no France bar with ${shown}: ${bars}`);

  // Zoom in to residences and click one: its popup tells the landlord and dwellings.
  await page.evaluate(() => window.bourg.map.jumpTo({ center: [2.8319, 50.4322], zoom: 15 }));
  await idle(page);
  const target = await page.evaluate(() => {
    const map = window.bourg.map;
    const f = map.queryRenderedFeatures().find((x) => x.layer.metadata?.['bourg:layer'] === 'rpls' && x.properties.logements !== undefined && !x.properties.aggregated);
    if (!f) return null;
    const p = map.project(f.geometry.coordinates);
    const box = map.getContainer().getBoundingClientRect();
    return { x: box.left + p.x, y: box.top + p.y };
  });
  assert.ok(target, 'a residence is drawn at z15 over Lens');
  await page.mouse.click(target.x, target.y);
  await page.waitForSelector('.maplibregl-popup .popup');
  const popup = await page.textContent('.maplibregl-popup .popup');
  assert.match(popup, /Résidence/);
  assert.match(popup, /Bailleur/);
  assert.match(popup, /Logements/);
  assert.match(popup, /DPE/);

  // Turn on the vacancy choropleth, then reload the shared URL: same view, same layers.
  await page.check('input[data-layer="lovac"]');
  await page.evaluate(() => window.bourg.map.jumpTo({ center: [2.8, 50.45], zoom: 10.5 }));
  await idle(page);
  await page.screenshot({ path: path.join(OUT, 'bourg-lens.png') });
  const shared = page.url();
  assert.match(shared, /layers=[^&]*lovac/);
  const before = await center(page);
  const visibleBefore = await page.evaluate(() => window.bourg.layers.filter((l) => document.querySelector(`input[data-layer="${l.id}"]`).checked).map((l) => l.id));

  const second = await open(shared);
  const after = await center(second.page);
  assert.ok(Math.abs(after.lon - before.lon) < 1e-3 && Math.abs(after.lat - before.lat) < 1e-3, `${JSON.stringify(before)} vs ${JSON.stringify(after)}`);
  assert.ok(Math.abs(after.zoom - before.zoom) < 0.01);
  const visibleAfter = await second.page.evaluate(() => window.bourg.layers.filter((l) => document.querySelector(`input[data-layer="${l.id}"]`).checked).map((l) => l.id));
  assert.deepEqual(visibleAfter, visibleBefore);
  const lovacDrawn = await second.page.evaluate(() => window.bourg.map.queryRenderedFeatures().some((f) => f.layer.metadata?.['bourg:layer'] === 'lovac'));
  assert.ok(lovacDrawn, 'the shared view shows the vacancy layer');

  // The PNG export holds the map plus a legend column.
  const png = await second.page.evaluate(async () => {
    const url = await window.bourg.renderPng();
    const img = new Image();
    await new Promise((r) => { img.onload = r; img.src = url; });
    return { prefix: url.slice(0, 22), width: img.width, mapWidth: window.bourg.map.getCanvas().width };
  });
  assert.equal(png.prefix, 'data:image/png;base64,');
  assert.ok(png.width > png.mapWidth, `export ${png.width}px for a ${png.mapWidth}px map`);

  // Recycling sites: a ranked list, re-ranked when a weight moves, with export links.
  await page.click('#sites-toggle');
  await page.waitForSelector('#sites-list li');
  const firstBefore = await page.textContent('#sites-list li');
  const count = await page.$$eval('#sites-list li', (li) => li.length);
  assert.ok(count >= 10, `${count} sites listed`);
  assert.match(await page.getAttribute('#export-gpkg', 'href'), /f=gpkg/);
  await page.evaluate(() => {
    for (const id of ['w-vacancy', 'w-perimeter', 'w-centre', 'w-stock', 'w-size', 'w-detente']) {
      const input = document.getElementById(id);
      input.value = '0';
      input.dispatchEvent(new Event('change'));
    }
    const f = document.getElementById('w-fragility');
    f.value = '1';
    f.dispatchEvent(new Event('change'));
  });
  await page.waitForFunction((before) => document.querySelector('#sites-list li')?.textContent !== before, firstBefore, { timeout: 20_000 });
  assert.match(await page.textContent('#sites-list li'), /Résidence/, 'fragility alone puts a residence first');
  await idle(page);
  await page.screenshot({ path: path.join(OUT, 'bourg-sites.png') });
  assert.match(await page.getAttribute('#export-csv', 'href'), /fragility%3A1/);
  await page.click('#sites-list li');
  await page.waitForFunction(() => !window.bourg.map.isMoving(), null, { timeout: 20_000 });
  assert.ok((await center(page)).zoom > 15, 'clicking a site flies to it');

  // A perimeter uploaded as a file (GeoJSON in Lambert-93 around Lens town hall).
  const perimeter = path.join(OUT, 'perimetre-lens.geojson');
  writeFileSync(perimeter, JSON.stringify({ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [[[686000, 7035500], [688000, 7035500], [688000, 7037000], [686000, 7037000], [686000, 7035500]]] } }));
  await page.click('#analyse-toggle');
  await page.setInputFiles('#upload-file', perimeter);
  await page.selectOption('#upload-crs', 'EPSG:2154');
  await page.click('#upload button[type=submit]');
  await page.waitForFunction(() => /perimetre-lens/.test(document.querySelector('#sheet-content h2')?.textContent ?? ''), null, { timeout: 20_000 });
  assert.match(await page.textContent('#sheet-content'), /Logements sociaux/);

  assert.deepEqual(errors, [], 'no console errors');
  assert.deepEqual(second.errors, [], 'no console errors after reload');
});
