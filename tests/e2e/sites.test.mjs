// The site finder as a landlord uses it, in headless Chromium: narrow to a commune, a programme
// and kinds; the list says "N affichés sur M"; the exports hold all M (the CSV read as French Excel
// reads it, the XLSX unzipped and read by Python's standard library); a site's sheet explains its
// score, from the list and from the map; a copied link restores the filters, and another the sheet.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { start, stop, open, idle, OUT } from './support.mjs';

let base;

before(async () => { base = await start(); });
after(stop);

const matched = (page) => page.evaluate(() => Number(document.getElementById('sites-count').dataset.matched));

/** Waits until the list shows a new answer (the count changed text). */
async function nextAnswer(page, before) {
  await page.waitForFunction((b) => {
    const c = document.getElementById('sites-count');
    return c.textContent !== b && c.textContent !== 'Recherche…' && c.dataset.matched !== undefined;
  }, before, { timeout: 60_000 });
}

/** Rows of an XLSX's first sheet, read with Python's zipfile and XML parser (not our writer). */
function xlsxRows(file) {
  const script = `
import sys, zipfile, re
z = zipfile.ZipFile(sys.argv[1])
sheet = z.read('xl/worksheets/sheet1.xml').decode()
print(len(re.findall(r'<row[ >]', sheet)))
`;
  return Number(execFileSync('python3', ['-c', script, file]).toString().trim());
}

test('narrow the sites to Lens and ACV, export all of them, open a sheet, share the view', { timeout: 300_000 }, async () => {
  const { page, errors } = await open(`${base}/#map=12/50.43/2.83`);
  await page.click('#sites-toggle');
  await page.waitForSelector('#sites-list li', { timeout: 60_000 });
  const all = await matched(page);
  assert.ok(all > 100, `${all} sites in all`);
  assert.match(await page.textContent('#sites-count'), /^50 affichés sur [\d\u202f\u00a0]+sites trouvés$/);
  // The legend of the ranked sites, and every score on 0–100.
  assert.match(await page.textContent('#sites-legend'), /Score.*0–20.*80–100/);
  const scores = await page.$$eval('#sites-list .score', (s) => s.map((e) => Number(e.textContent.replace(',', '.'))));
  assert.ok(scores.every((s) => s >= 0 && s <= 100), `scores ${scores}`);

  // A commune from the filter's search.
  let text = await page.textContent('#sites-count');
  await page.fill('#sites-territory', 'Lens');
  await page.waitForSelector('#sites-territory-results li');
  await page.press('#sites-territory', 'Enter');
  await nextAnswer(page, text);
  assert.match(await page.textContent('#sites-chips'), /Lens/);
  const lens = await matched(page);
  assert.ok(lens > 0 && lens < all, `${lens} sites in Lens of ${all}`);
  const places = await page.$$eval('#sites-list .where', (w) => w.map((e) => e.textContent));
  assert.ok(places.every((p) => p.includes('Lens (62498)')), `every row in Lens: ${places.slice(0, 3)}`);

  // Only brownfields and vacancy buildings: the residences leave the list.
  text = await page.textContent('#sites-count');
  await page.uncheck('input[name=kind][value=residence]');
  await nextAnswer(page, text);
  const kinds = await page.$$eval('#sites-list .where', (w) => w.map((e) => e.textContent.split(' · ')[0]));
  assert.ok(kinds.length > 0 && kinds.every((k) => k !== 'Résidence fragile'), `kinds ${[...new Set(kinds)]}`);
  await page.check('input[name=kind][value=residence]');
  await page.waitForFunction((n) => Number(document.getElementById('sites-count').dataset.matched) === n, lens, { timeout: 60_000 });

  // ACV (Lens is an ACV town): the same sites.
  const answered = page.waitForResponse((r) => r.url().includes('api/sites?') && r.url().includes('programme=acv') && r.url().includes('limit='), { timeout: 60_000 });
  await page.check('input[name=programme][value=acv]');
  await answered;
  await page.waitForFunction(() => document.getElementById('sites-count').textContent !== 'Recherche…', null, { timeout: 60_000 });
  const narrowed = await matched(page);
  assert.ok(narrowed > 0 && narrowed <= lens, `ACV and Lens: ${narrowed}`);
  await page.screenshot({ path: path.join(OUT, 'sites-filtered.png') });

  // The exports hold every match, not the 50 listed.
  const href = (id) => page.$eval(`#${id}`, (a) => a.href);
  const csv = Buffer.from(await (await fetch(await href('export-csv'))).arrayBuffer());
  assert.deepEqual([...csv.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 BOM for Excel');
  const lines = csv.toString('utf8').slice(1).split('\r\n').filter(Boolean);
  assert.ok(lines[0].split(';').length > 10, `; separated header: ${lines[0]}`);
  assert.equal(lines.length - 1, narrowed, 'CSV rows = matched');
  assert.match(lines[1], /;\d+,\d+;/, 'decimal commas');
  const xlsx = path.join(OUT, 'sites-lens.xlsx');
  writeFileSync(xlsx, Buffer.from(await (await fetch(await href('export-xlsx'))).arrayBuffer()));
  assert.equal(xlsxRows(xlsx) - 1, narrowed, 'XLSX rows (after the header) = matched');
  const geojson = await (await fetch(await href('export-geojson'))).json();
  assert.equal(geojson.features.length, narrowed, 'GeoJSON features = matched');

  // A site's sheet from the list: its score explained component by component; back by Escape.
  await page.click('#sites-list li');
  await page.waitForSelector('#site-sheet .site-sheet');
  const reasons = await page.$$eval('#site-sheet .reasons li', (li) => li.map((e) => e.textContent));
  assert.ok(reasons.length >= 5, `reasons ${reasons}`);
  assert.ok(reasons.every((r) => /points\)$/.test(r)), `each reason gives its points: ${reasons[0]}`);
  assert.match(await page.textContent('#site-sheet'), /\/ 100/);
  await page.screenshot({ path: path.join(OUT, 'site-sheet.png') });
  await page.keyboard.press('Escape');
  assert.equal(await page.isVisible('#sites-list'), true, 'Escape goes back to the list');

  // The copied link restores the filters and the count.
  const shared = page.url();
  assert.match(shared, /sites=/);
  assert.match(shared, /sites=t-62498~p-acv/, shared);
  const second = await open(shared);
  await second.page.waitForSelector('#sites-list li', { timeout: 60_000 });
  await second.page.waitForFunction(() => document.getElementById('sites-count').textContent !== 'Recherche…');
  assert.equal(await matched(second.page), narrowed, 'same matches from the link');
  assert.match(await second.page.textContent('#sites-chips'), /Lens/);
  assert.equal(await second.page.isChecked('input[name=programme][value=acv]'), true);

  // A ranked site clicked on the map opens its sheet (not the popup of the layer below).
  await second.page.evaluate(() => window.bourg.map.jumpTo({ center: [2.83, 50.43], zoom: 14 }));
  await idle(second.page);
  const target = await second.page.evaluate(() => {
    const map = window.bourg.map;
    const f = map.queryRenderedFeatures({ layers: ['sites-ranked'] })[0];
    if (!f) return null;
    const p = map.project(f.geometry.coordinates);
    const box = map.getContainer().getBoundingClientRect();
    return { x: box.left + p.x, y: box.top + p.y, label: f.properties.label };
  });
  assert.ok(target, 'ranked sites drawn over Lens');
  await second.page.mouse.click(target.x, target.y);
  await second.page.waitForSelector('#site-sheet .site-sheet', { timeout: 30_000 });
  assert.equal(await second.page.$('.maplibregl-popup'), null, 'no popup over the sheet');

  // A residence's popup leads to its site sheet (its score explained), whatever the filters.
  await page.keyboard.press('Escape');
  await page.evaluate(() => window.bourg.map.jumpTo({ center: [2.83, 50.43], zoom: 15 }));
  await idle(page);
  const residence = await page.evaluate(() => {
    const map = window.bourg.map;
    const f = map.queryRenderedFeatures({ layers: ['rpls-circle'] }).find((x) => !x.properties.aggregated && x.id !== undefined);
    if (!f) return null;
    const p = map.project(f.geometry.coordinates);
    const box = map.getContainer().getBoundingClientRect();
    return { x: box.left + p.x, y: box.top + p.y, id: f.id };
  });
  assert.ok(residence, 'a residence drawn at z15');
  await page.mouse.click(residence.x, residence.y);
  await page.waitForSelector('.maplibregl-popup .popup');
  // (The residence under the click: the topmost one where several overlap.)
  const sheetAnswer = page.waitForResponse((r) => /\/api\/sites\/rpls\/\d+/.test(r.url()));
  await page.click('.maplibregl-popup button.open-site');
  assert.equal((await sheetAnswer).status(), 200);
  await page.waitForSelector('#site-sheet .site-sheet');
  assert.match(await page.textContent('#site-sheet'), /Pourquoi ce score/);

  // A territory sheet in the link: reopening it opens the sheet.
  await page.keyboard.press('Escape');
  await page.keyboard.press('Escape');
  await page.evaluate(() => window.bourg.showSheet('62498', 'Lens'));
  await page.waitForSelector('#sheet:not([hidden]) .indicators');
  assert.match(page.url(), /fiche=62498/);
  const third = await open(page.url());
  await third.page.waitForSelector('#sheet:not([hidden]) .indicators', { timeout: 30_000 });
  assert.equal(await third.page.textContent('#sheet h2'), 'Lens');

  // The basemap goes in the link too (the IGN tiles answered here by a 1-pixel PNG: no network).
  const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
  await page.route(/data\.geopf\.fr/, (route) => route.fulfill({ status: 200, contentType: 'image/png', body: PNG }));
  await page.selectOption('#basemap', 'ign');
  assert.match(page.url(), /fond=ign/);
  const withBasemap = page.url();
  await page.goto('about:blank');
  await page.goto(withBasemap);
  await page.waitForFunction(() => window.bourg?.ready === true, null, { timeout: 60_000 });
  assert.equal(await page.inputValue('#basemap'), 'ign', 'the link restores the basemap');
  await page.waitForSelector('#sheet:not([hidden]) .indicators', { timeout: 30_000 });
  assert.equal(await page.textContent('#sheet h2'), 'Lens', 'and the sheet with it');
  assert.ok(await page.evaluate(() => window.bourg.map.getStyle().layers.some((l) => l.type === 'raster')), 'the basemap is drawn');

  assert.deepEqual(errors, [], 'no console errors');
  assert.deepEqual(second.errors, [], 'no console errors from the link');
  assert.deepEqual(third.errors, [], 'no console errors from the sheet link');
});
