// End-to-end test of the popups' words and of the basemaps offline, in headless Chromium: click a
// feature of each kind over Lens and read its popup as a person would — labels instead of raw
// property names (the names come from GET /layers), French numbers and plurals, years without a
// thousands separator, nothing "undefined", "null" or "NaN". Then pick an online basemap with the
// network cut: a polite message shows, the map keeps working, and the message goes with the
// basemap. Screenshots in $E2E_OUT/popup-*.png and basemap-offline.png.
// Run: BOURG_BIN=… E2E_OUT=… node --test tests/e2e/popups.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { start, stop, open, idle, OUT } from './support.mjs';

let base;

before(async () => { base = await start(); });
after(stop);

/** Moves to a view showing only `layers`, once both the camera and the layers have changed. */
async function view(page, zoom, lat, lon, layers) {
  await page.evaluate((hash) => new Promise((resolve) => {
    window.addEventListener('hashchange', () => setTimeout(resolve, 0), { once: true });
    window.location.hash = hash;
  }), `map=${zoom}/${lat}/${lon}&layers=${layers.join(',')}`);
  await idle(page);
}

/**
 * Screen position of a drawn feature of `layer`: the point nearest the centre (`cells` says
 * whether aggregated cells or single points are wanted), or the centre itself for polygons when
 * the layer is what is drawn there. Waits until one is drawn.
 */
async function target(page, layer, kind) {
  const handle = await page.waitForFunction(({ layer, kind }) => {
    const map = window.bourg.map;
    const box = map.getContainer().getBoundingClientRect();
    const c = map.project(map.getCenter());
    const ours = (f) => f.layer.metadata?.['bourg:layer'] === layer;
    if (kind === 'polygon') {
      // The centre, or the nearest pixel around it where the layer's polygon (not its name) is on top.
      for (let r = 0; r <= 120; r += 20) {
        for (const [dx, dy] of r ? [[r, 0], [-r, 0], [0, r], [0, -r], [r, r], [-r, -r]] : [[0, 0]]) {
          const top = map.queryRenderedFeatures([c.x + dx, c.y + dy]).find((f) => f.layer.metadata?.['bourg:layer']);
          if (top && ours(top) && top.layer.type !== 'symbol') return { x: box.left + c.x + dx, y: box.top + c.y + dy, properties: top.properties };
        }
      }
      return null;
    }
    const points = map.queryRenderedFeatures().filter((f) => ours(f) && f.geometry.type === 'Point' && !!f.properties.aggregated === (kind === 'cell'))
      .map((f) => ({ p: map.project(f.geometry.coordinates), properties: f.properties }))
      .filter(({ p }) => p.x > 340 && p.y > 80 && p.x < box.width - 80 && p.y < box.height - 80)
      .sort((a, b) => Math.hypot(a.p.x - c.x, a.p.y - c.y) - Math.hypot(b.p.x - c.x, b.p.y - c.y));
    // Only a point that is also the topmost feature under its own pixel.
    const hit = points.find(({ p }) => ours(map.queryRenderedFeatures([p.x, p.y]).find((f) => f.layer.metadata?.['bourg:layer'])));
    return hit ? { x: box.left + hit.p.x, y: box.top + hit.p.y, properties: hit.properties } : null;
  }, { layer, kind }, { timeout: 30_000 });
  return handle.jsonValue();
}

/** Clicks at `at` and resolves to the popup's title and text, once a fresh popup shows. */
async function popupAt(page, at) {
  if (await page.$('.maplibregl-popup-close-button')) await page.click('.maplibregl-popup-close-button');
  await page.mouse.click(at.x, at.y);
  await page.waitForSelector('.maplibregl-popup .popup');
  return page.evaluate(() => {
    const popup = document.querySelector('.maplibregl-popup .popup');
    return {
      title: popup.querySelector('h3').textContent,
      // Every piece on its own (folded details included), as a reader takes them in.
      text: [...popup.querySelectorAll('h3, p, th, td, summary')].filter((e) => !e.querySelector('table')).map((e) => e.textContent).join(' | '),
      sheet: !!popup.querySelector('button.open-territory'),
      site: !!popup.querySelector('button.open-site'),
    };
  });
}

const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const word = (name, flags = '') => new RegExp(`(?<![\\p{L}\\p{N}_])${escapeRegExp(name)}(?![\\p{L}\\p{N}_])`, `u${flags}`);

/** The checks every popup passes, against the layer's own description in GET /layers. */
function checkPopup(name, popup, layer, properties) {
  const { text } = popup;
  // Words a label, a code's text or the noun uses may appear in French ("Logements vacants").
  const french = [...Object.values(layer.labels), ...Object.values(layer.values).flatMap(Object.values), ...Object.values(layer.noun ?? {}), layer.title].join(' ');
  for (const p of layer.properties.map((x) => x.name).concat(Object.keys(properties))) {
    if (p === 'aggregated' || word(p, 'i').test(french)) continue;
    assert.doesNotMatch(text, word(p), `${name}: the raw name ${p} shows in ${JSON.stringify(text)}`);
  }
  assert.doesNotMatch(text, /undefined|null|NaN/, `${name}: ${text}`);
  assert.doesNotMatch(text, /\(s\)/, `${name}: "(s)" in ${text}`);
  assert.doesNotMatch(text, /\b\d \d{3}\b/, `${name}: a year with a separator in ${text}`);
  // Every year reads as written, with no separator.
  for (const [k, v] of Object.entries(properties)) {
    if (layer.formats[k] !== 'year' || typeof v !== 'number') continue;
    assert.ok(text.includes(String(v)), `${name}: ${k} ${v} not in ${text}`);
  }
  // A count of 1 takes the singular, 2 and more the plural ("1 logement", "3 logements").
  for (const m of text.matchAll(/(?<![\d\u202F,])(\d[\d\u202F]*)\u00A0(\p{L}+)/gu)) {
    if (m[2] === 'm') continue; // m²
    const n = Number(m[1].replace(/\u202F/g, ''));
    assert.equal(/[sx]$/.test(m[2]), n >= 2, `${name}: "${m[0]}" in ${text}`);
  }
  // Every property the feature carries is shown through its label (names and codes in titles).
  for (const k of Object.keys(properties)) {
    if (['aggregated', 'count', 'nom', 'site_nom', 'id_acv', 'id_pvd'].includes(k)) continue;
    const stat = properties[`${k}_max`] !== undefined;
    const label = layer.labels[stat ? `${k}_mean` : k];
    assert.ok(label, `${name}: no label for ${k}`);
    assert.ok(text.includes(label), `${name}: the label "${label}" of ${k} is not shown in ${text}`);
  }
}

test('popups speak French: labels, numbers, years, plurals; territories open their sheet', { timeout: 300_000 }, async () => {
  const { layers } = await (await fetch(`${base}/layers`)).json();
  const byId = new Map(layers.map((l) => [l.id, l]));
  const { page, errors } = await open(`${base}/#map=14/50.43/2.83`);

  const cases = [
    { name: 'residence', layer: 'rpls', at: [15, 50.432, 2.832], kind: 'point', title: /^Résidence/, site: true },
    { name: 'residences-cell', layer: 'rpls', at: [11, 50.43, 2.83], kind: 'cell', title: /^\d[\d\u202F]*\u00A0résidences? ?/ },
    { name: 'vacancy', layer: 'vacance_batiments', at: [15, 50.43, 2.83], kind: 'point', title: /^\d+\u00A0logements? vacants? depuis \d+\u00A0ans?$/, site: true },
    { name: 'vacancy-cell', layer: 'vacance_batiments', at: [10, 50.43, 2.83], kind: 'cell', title: /^\d[\d\u202F]*\u00A0bâtiments?/ },
    { name: 'friche', layer: 'friches', at: [12, 50.43, 2.83], kind: 'point', title: /^Friche/, site: true },
    { name: 'ort', layer: 'ort', at: [12, 50.43, 2.83], kind: 'point', title: /./ },
    { name: 'commune', layer: 'communes', at: [13, 50.43, 2.83], kind: 'polygon', title: /^Lens \(62498\)$/, sheet: true },
    { name: 'lovac', layer: 'lovac', at: [13, 50.43, 2.83], kind: 'polygon', title: /^Lens \(62498\)$/, sheet: true },
    { name: 'perimeter', layer: 'perimetres_acv', at: [13, 50.43, 2.83], kind: 'polygon', title: /^Lens — /, sheet: true },
    { name: 'epci', layer: 'epci', at: [9, 50.43, 2.83], kind: 'polygon', title: /^(CA|Communauté).*Lens/, sheet: true },
    { name: 'departement', layer: 'departements', at: [7, 50.5, 2.3], kind: 'polygon', title: /^Pas-de-Calais \(62\)$/, sheet: true },
  ];
  for (const c of cases) {
    await view(page, ...c.at, [c.layer]);
    const at = await target(page, c.layer, c.kind);
    const popup = await popupAt(page, at);
    await page.locator('.maplibregl-popup').screenshot({ path: path.join(OUT, `popup-${c.name}.png`) });
    if (await page.$('.maplibregl-popup details')) {
      await page.click('.maplibregl-popup details summary');
      await page.locator('.maplibregl-popup').screenshot({ path: path.join(OUT, `popup-${c.name}-details.png`) });
    }
    assert.match(popup.title, c.title, `${c.name}: title ${popup.title}`);
    assert.equal(popup.sheet, !!c.sheet, `${c.name}: sheet button`);
    assert.equal(popup.site, !!c.site, `${c.name}: site sheet button (the finder's candidates only)`);
    checkPopup(c.name, popup, byId.get(c.layer), at.properties);
    if (c.name === 'vacancy') {
      // The title's count is the feature's own, and agrees with it.
      const n = at.properties.NB_LOGVAC;
      assert.ok(popup.title.startsWith(n === 1 ? '1\u00A0logement vacant depuis' : `${n}\u00A0logements vacants depuis`), popup.title);
    }
    if (c.name === 'residences-cell') {
      assert.match(popup.text, /Fragilité moyenne/);
      assert.match(popup.text, /Fragilité maximale/);
    }
  }

  // The sheet of the EPCI opens from its popup.
  await view(page, 9, 50.43, 2.83, ['epci']);
  await popupAt(page, await target(page, 'epci', 'polygon'));
  await page.click('.maplibregl-popup .popup button.open-territory');
  await page.waitForSelector('#sheet:not([hidden]) .indicators', { timeout: 30_000 });
  assert.match(await page.textContent('#sheet-content h2'), /Lens/);

  assert.deepEqual(errors, [], 'no console errors');
});

test('an online basemap offline says so, and the map stays usable', { timeout: 180_000 }, async () => {
  const { page, errors } = await open(`${base}/#map=13/50.43/2.83&layers=communes`);
  // No network for the basemaps, whatever this machine has.
  await page.route(/tile\.openstreetmap\.org|data\.geopf\.fr/, (route) => route.abort('internetdisconnected'));
  assert.equal(await page.textContent('#basemap-status'), '');
  await page.selectOption('#basemap', 'osm');
  await page.waitForFunction(() => /indisponible/.test(document.getElementById('basemap-status').textContent), null, { timeout: 30_000 });
  const status = await page.evaluate(() => {
    const s = document.getElementById('basemap-status');
    const r = s.getBoundingClientRect();
    return { text: s.textContent, role: s.getAttribute('role'), visible: r.width > 0 && r.height > 0 && getComputedStyle(s).visibility !== 'hidden' };
  });
  assert.equal(status.role, 'status');
  assert.ok(status.visible, 'the message is visible');
  assert.match(status.text, /^Fond de carte indisponible \(hors ligne\u202F\?\) — la carte reste utilisable sans fond\.$/);
  await idle(page);
  await page.screenshot({ path: path.join(OUT, 'basemap-offline.png') });

  // The map still answers: Lens's popup opens.
  const popup = await popupAt(page, await target(page, 'communes', 'polygon'));
  assert.match(popup.title, /Lens/);

  // Another basemap: the message goes (and comes back if that one fails too).
  await page.selectOption('#basemap', 'none');
  assert.equal(await page.textContent('#basemap-status'), '');
  await page.selectOption('#basemap', 'ortho');
  await page.waitForFunction(() => /indisponible/.test(document.getElementById('basemap-status').textContent), null, { timeout: 30_000 });
  await page.selectOption('#basemap', 'none');
  assert.equal(await page.textContent('#basemap-status'), '');

  // Only the browser's own lines about the refused tiles, nothing uncaught.
  const others = errors.filter((e) => !/^Failed to load resource|net::ERR_/.test(e));
  assert.deepEqual(others, [], 'no console errors but the failed tile loads');
});
