// End-to-end test of "Dessiner sur la carte" in headless Chromium (Debian's, driven by
// playwright-core): draw a perimeter around Lens with the mouse, get its indicators in the sheet,
// and check them against the API called directly from Node with the ring the page sent.
// Run by `make test` (node --test tests/e2e/); BOURG_BIN points at the built binary.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { start, stop, open, idle, OUT } from './support.mjs';

const DRAW_LAYERS = ['draw-fill', 'draw-line', 'draw-vertex'];

let base;

before(async () => { base = await start(); });
after(stop);

/** Page coordinates of a [lon, lat] on the map. */
const pixel = (page, lonLat) => page.evaluate((lonLat) => {
  const p = window.bourg.map.project(lonLat);
  const box = document.getElementById('map').getBoundingClientRect();
  return { x: box.left + p.x, y: box.top + p.y };
}, lonLat);

async function clickAt(page, lonLat) {
  const { x, y } = await pixel(page, lonLat);
  await page.mouse.click(x, y);
}

/** The draw- features rendered, by layer, once the map has drawn the last change. */
async function drawn(page) {
  await page.evaluate(() => new Promise((resolve) => {
    window.bourg.map.once('idle', resolve);
    window.bourg.map.triggerRepaint();
  }));
  return page.evaluate((ids) => Object.fromEntries(ids.map((id) => [id, window.bourg.map.queryRenderedFeatures({ layers: [id] }).length])), DRAW_LAYERS);
}

/** The value shown in the sheet for an indicator label, as a number (French formatting). */
async function shown(page, label) {
  const text = await page.evaluate((label) => {
    const row = [...document.querySelectorAll('#sheet-content .indicators tr')].find((tr) => tr.querySelector('th')?.firstChild?.textContent === label);
    return row?.querySelector('td')?.textContent ?? null;
  }, label);
  assert.ok(text !== null, `the sheet shows "${label}"`);
  return Number(text.replace(/[\s\u00a0\u202f≈]/g, '').replace(',', '.'));
}

/** Collects the POSTs to api/territories/stats the page sends. */
function recordStats(page) {
  const sent = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && r.url().includes('/api/territories/stats')) {
      sent.push({ url: new URL(r.url()), type: r.headers()['content-type'], body: JSON.parse(r.postData()) });
    }
  });
  return sent;
}

// A quadrilateral around Lens town centre (town hall at 2.8319, 50.4322).
const QUAD = [[2.80, 50.415], [2.86, 50.417], [2.865, 50.448], [2.805, 50.446]];
const LENS = [2.8319, 50.4322];

test('draw a perimeter around Lens and get its indicators', { timeout: 180_000 }, async () => {
  const { page, errors } = await open(`${base}/#map=12/50.43/2.83`);
  const sent = recordStats(page);

  // Out of drawing mode, a click on Lens opens its popup (so the check below means something).
  await clickAt(page, LENS);
  await page.waitForSelector('.maplibregl-popup .popup');
  await page.click('.maplibregl-popup-close-button');
  assert.equal(await page.$('.maplibregl-popup'), null);

  // The analyse form offers to draw; drawing mode has a crosshair and a hint.
  await page.click('#analyse-toggle');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'draw-start', 'the form focuses the draw button');
  await page.click('#draw-start');
  assert.ok(await page.evaluate(() => window.bourg.draw.isDrawing()));
  assert.equal(await page.evaluate(() => getComputedStyle(window.bourg.map.getCanvas()).cursor), 'crosshair');
  assert.match(await page.textContent('#draw-hint'), /Cliquez pour placer les sommets.*double-cliquez.*Terminer.*Échap pour annuler/);
  assert.ok(await page.isVisible('#draw-finish') && await page.isVisible('#draw-cancel') && !(await page.isVisible('#draw-start')));

  // A click while drawing places a vertex and opens no popup.
  await clickAt(page, LENS);
  await clickAt(page, QUAD[0]);
  await page.waitForTimeout(400);
  assert.equal(await page.$('.maplibregl-popup'), null, 'no popup while drawing');
  assert.equal((await drawn(page))['draw-vertex'], 2, 'two vertices drawn');
  assert.match(await page.textContent('#draw-hint'), /2 sommets placés/);

  // Escape cancels: nothing drawn is left.
  await page.keyboard.press('Escape');
  assert.ok(!(await page.evaluate(() => window.bourg.draw.isDrawing())));
  assert.deepEqual(await drawn(page), { 'draw-fill': 0, 'draw-line': 0, 'draw-vertex': 0 }, 'no draw- features after Escape');
  assert.notEqual(await page.evaluate(() => getComputedStyle(window.bourg.map.getCanvas()).cursor), 'crosshair');
  assert.ok(await page.isVisible('#draw-start') && !(await page.isVisible('#draw-finish')));
  assert.equal(sent.length, 0, 'a cancelled drawing sends nothing');

  // Draw the quadrilateral, close it with "Terminer".
  await page.click('#draw-start');
  for (const p of QUAD) await clickAt(page, p);
  const inProgress = await drawn(page);
  assert.equal(inProgress['draw-vertex'], 4);
  assert.ok(inProgress['draw-fill'] >= 1, 'the polygon in progress is filled');
  const near = await pixel(page, [2.835, 50.455]);
  await page.mouse.move(near.x, near.y);
  await page.screenshot({ path: path.join(OUT, 'bourg-draw-progress.png') });
  await page.click('#draw-finish');
  await page.waitForFunction(() => document.querySelector('#sheet-content h2')?.textContent === 'Périmètre dessiné'
    && [...document.querySelectorAll('#sheet-content .indicators th')].some((th) => /^Population/.test(th.textContent)), null, { timeout: 20_000 });

  // What the page sent: a GeoJSON polygon Feature, closed, with the vertices clicked.
  assert.equal(sent.length, 1);
  const [request] = sent;
  assert.match(request.type, /^application\/geo\+json/);
  assert.equal(request.url.searchParams.get('name'), 'Périmètre dessiné');
  assert.equal(request.body.type, 'Feature');
  assert.deepEqual(request.body.properties, {});
  assert.equal(request.body.geometry.type, 'Polygon');
  const ring = request.body.geometry.coordinates[0];
  assert.equal(ring.length, 5);
  assert.deepEqual(ring[0], ring[4], 'the ring is closed');
  for (const [lon, lat] of QUAD) {
    assert.ok(ring.some(([x, y]) => Math.abs(x - lon) < 1e-3 && Math.abs(y - lat) < 1e-3), `vertex ${lon} ${lat} sent`);
  }

  // Independent check: the API, called from Node with that ring, gives what the sheet shows.
  const res = await fetch(`${base}/api/territories/stats?name=${encodeURIComponent('Contrôle')}`, {
    method: 'POST',
    headers: { 'content-type': 'application/geo+json' },
    body: JSON.stringify({ type: 'Feature', geometry: { type: 'Polygon', coordinates: [ring] }, properties: {} }),
  });
  assert.equal(res.status, 200);
  const report = await res.json();
  const indicator = (id) => report.indicators.find((i) => i.id === id);
  const population = indicator('population');
  const communes = indicator('communes');
  assert.ok(population.value > 0, `population ${population.value}`);
  assert.ok(communes.value >= 1, `communes ${communes.value}`);
  assert.ok(report.territory.communes >= 1);
  assert.equal(await shown(page, population.label), population.value, 'population shown = API');
  assert.equal(await shown(page, communes.label), communes.value, 'communes shown = API');
  const summary = await page.textContent('#sheet-content p');
  assert.equal(Number(summary.match(/([\d\u202f]+)[\s\u00a0]communes? touchées?/)[1].replace(/\D/g, '')), report.territory.communes, `summary "${summary}"`);
  // The quadrilateral cuts communes: what is known per commune is an estimate (≈, with its
  // method) or "non calculable", never a false 0.
  assert.equal(population.method, 'estimated');
  const rows = await page.evaluate(() => [...document.querySelectorAll('#sheet-content .indicators tr')].map((tr) => ({
    id: tr.dataset.indicator, method: tr.dataset.method, value: tr.querySelector('td').textContent, note: tr.querySelector('.note')?.textContent ?? '',
  })));
  for (const r of rows.filter((r) => r.method === 'estimated')) {
    assert.match(r.value, /^≈\s*[1-9]/, `${r.id} shown as an estimate above 0: "${r.value}"`);
    assert.match(r.note, /prorata/, `${r.id} says how it was estimated`);
  }
  const qpv = rows.find((r) => r.id === 'qpv');
  assert.equal(qpv.value, 'non calculable à cette échelle');

  // The finished polygon stays on the map as an outline.
  assert.ok(!(await page.evaluate(() => window.bourg.draw.isDrawing())));
  const done = await drawn(page);
  assert.ok(done['draw-line'] >= 1, 'outline drawn');
  assert.equal(done['draw-vertex'], 0);
  assert.equal(done['draw-fill'], 0);
  assert.ok(await page.isVisible('#draw-clear'));
  await page.screenshot({ path: path.join(OUT, 'bourg-draw.png') });

  // A double-click closes a triangle, without zooming.
  const zoom = await page.evaluate(() => window.bourg.map.getZoom());
  await page.click('#draw-start');
  assert.equal((await drawn(page))['draw-line'], 0, 'a new drawing replaces the previous polygon');
  const triangle = [[2.81, 50.42], [2.85, 50.42], [2.83, 50.44]];
  await clickAt(page, triangle[0]);
  await clickAt(page, triangle[1]);
  const last = await pixel(page, triangle[2]);
  const response = page.waitForResponse((r) => r.url().includes('/api/territories/stats'));
  await page.mouse.dblclick(last.x, last.y);
  assert.equal((await response).status(), 200);
  assert.equal(sent.length, 2);
  assert.equal(sent[1].body.geometry.coordinates[0].length, 4, 'three vertices, the double-click counted once');
  await idle(page);
  assert.equal(await page.evaluate(() => window.bourg.map.getZoom()), zoom, 'the double-click did not zoom');
  assert.ok(!(await page.evaluate(() => window.bourg.draw.isDrawing())));

  // "Effacer" removes it; the double-click zooms again out of drawing mode.
  await page.click('#draw-clear');
  assert.deepEqual(await drawn(page), { 'draw-fill': 0, 'draw-line': 0, 'draw-vertex': 0 }, 'no draw- features after Effacer');
  assert.ok(!(await page.isVisible('#draw-clear')));
  assert.equal(await page.evaluate(() => window.bourg.map.doubleClickZoom.isEnabled()), true);

  // "Annuler" gives back the previous polygon.
  await page.click('#draw-start');
  for (const p of triangle) await clickAt(page, p);
  await page.click('#draw-finish');
  await page.waitForFunction(() => !window.bourg.draw.isDrawing());
  await page.click('#draw-start');
  await clickAt(page, QUAD[0]);
  await page.click('#draw-cancel');
  const back = await drawn(page);
  assert.ok(back['draw-line'] >= 1 && back['draw-vertex'] === 0, 'the previous polygon is back after Annuler');

  assert.deepEqual(errors, [], 'no console errors');
});

test('a perimeter the server refuses shows why', { timeout: 120_000 }, async () => {
  const { page, errors } = await open(`${base}/#map=12/50.43/2.83`);
  const description = 'only polygons describe a territory';
  await page.route('**/api/territories/stats*', (route) => route.fulfill({
    status: 400,
    contentType: 'application/json',
    body: JSON.stringify({ code: 'InvalidParameterValue', description }),
  }));
  await page.click('#analyse-toggle');
  await page.click('#draw-start');
  // "Terminer" before three vertices only says so.
  await page.click('#draw-finish');
  assert.match(await page.textContent('#draw-hint'), /au moins 3 sommets/);
  for (const p of [[2.81, 50.42], [2.85, 50.42], [2.83, 50.44]]) await clickAt(page, p);
  await page.click('#draw-finish');
  await page.waitForFunction((d) => document.getElementById('upload-error').textContent === d, `Périmètre refusé : ${description}`, { timeout: 20_000 });
  assert.match(await page.textContent('#sheet-content h2'), /Analyser un périmètre/, 'the sheet keeps its content');
  assert.deepEqual(errors.filter((e) => !/status of 400/.test(e)), [], 'no console errors');
});
