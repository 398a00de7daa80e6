// The map on a phone (390×844) and the narrowest screen (320×640), in headless Chromium: no
// sideways scroll, the layer panel closed at first, every action reachable from the menu, the sheet
// and the site finder as bottom drawers one at a time, Escape closing the topmost, and the keyboard
// reaching every control. Screenshots land in $E2E_OUT (mobile-*.png).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { start, stop, open, idle, OUT } from './support.mjs';

let base;

before(async () => { base = await start(); });
after(stop);

/** Headless Chromium on a software GL does not composite a WebGL canvas under a scrolled drawer
 * (the map shows white above it; not so in a real browser): for the screenshot only, the drawer
 * is made non-scrolling. */
async function shot(page, name) {
  const style = await page.addStyleTag({ content: '#sheet, #sites, #panel { overflow-y: hidden !important; }' });
  await idle(page);
  await page.screenshot({ path: path.join(OUT, `mobile-${name}.png`) });
  await style.evaluate((e) => e.remove());
}

const noSidewaysScroll = (page) => page.evaluate(() => ({ doc: document.documentElement.scrollWidth, body: document.body.scrollWidth, width: window.innerWidth }));

/** Whether an element is drawn whole inside the viewport. */
const inView = (page, selector) => page.evaluate((sel) => {
  const e = document.querySelector(sel);
  if (!e) return false;
  const r = e.getBoundingClientRect();
  return r.width > 0 && r.height > 0 && r.left >= 0 && r.top >= 0 && r.right <= window.innerWidth + 0.5 && r.bottom <= window.innerHeight + 0.5;
}, selector);

for (const [width, height] of [[390, 844], [320, 640]]) {
  test(`a phone of ${width}×${height} px can use every part of the map`, { timeout: 240_000 }, async () => {
    const { page, errors } = await open(`${base}/#map=12/50.43/2.83`, { width, height });
    let s = await noSidewaysScroll(page);
    assert.ok(s.doc <= s.width && s.body <= s.width, `no sideways scroll: ${JSON.stringify(s)}`);
    // The search box keeps a usable width; the layers start closed; the sources line is folded.
    const searchWidth = await page.evaluate(() => document.getElementById('search').getBoundingClientRect().width);
    assert.ok(searchWidth >= 150, `search box ${searchWidth}px`);
    assert.equal(await page.evaluate(() => document.getElementById('panel').hidden), true, 'layers closed at first');
    const attribHeight = await page.evaluate(() => document.querySelector('.maplibregl-ctrl-attrib').getBoundingClientRect().height);
    assert.ok(attribHeight <= 40, `sources line folded (${attribHeight}px)`);
    await shot(page, `${width}-map`);

    // Every action is in the menu, drawn whole on the screen.
    await page.click('#menu-toggle');
    for (const id of ['basemap', 'analyse-toggle', 'sites-toggle', 'export', 'share', 'panel-toggle']) {
      assert.ok(await inView(page, `#${id}`), `#${id} visible in the menu`);
    }
    await shot(page, `${width}-menu`);
    // Escape closes the menu and gives the focus back to its button.
    await page.keyboard.press('Escape');
    assert.equal(await page.getAttribute('#menu-toggle', 'aria-expanded'), 'false');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'menu-toggle');

    // The layers: a drawer that closes.
    await page.click('#menu-toggle');
    await page.click('#panel-toggle');
    assert.ok(await inView(page, '#panel-close'), 'the layer drawer can be closed');
    await shot(page, `${width}-layers`);
    await page.keyboard.press('Escape');
    assert.equal(await page.evaluate(() => document.getElementById('panel').hidden), true, 'Escape closes the layers');

    // An EPCI found by its usual short name: the sheet is a bottom drawer, the map above it.
    await page.fill('#search', 'CA de Lens');
    await page.waitForSelector('#search-results li');
    assert.match(await page.textContent('#search-results li'), /Lens - Liévin.*intercommunalité/);
    await page.press('#search', 'Enter');
    await page.waitForSelector('#sheet:not([hidden]) .indicators');
    const sheet = await page.evaluate(() => document.getElementById('sheet').getBoundingClientRect().toJSON());
    assert.ok(sheet.bottom <= height + 0.5 && sheet.top > height * 0.25 && sheet.width >= width - 1, `sheet drawer ${JSON.stringify(sheet)}`);
    assert.match(await page.textContent('#sheet h2'), /Lens - Liévin/);
    s = await noSidewaysScroll(page);
    assert.ok(s.doc <= s.width, `no sideways scroll with the sheet: ${JSON.stringify(s)}`);
    await shot(page, `${width}-sheet`);

    // The site finder replaces the sheet (one drawer at a time); Escape closes it.
    await page.click('#menu-toggle');
    await page.click('#sites-toggle');
    await page.waitForSelector('#sites-list li', { timeout: 60_000 });
    assert.equal(await page.evaluate(() => document.getElementById('sheet').hidden), true, 'the sheet gave way');
    s = await noSidewaysScroll(page);
    assert.ok(s.doc <= s.width, `no sideways scroll with the sites: ${JSON.stringify(s)}`);
    await shot(page, `${width}-sites`);
    await page.keyboard.press('Escape');
    assert.equal(await page.evaluate(() => document.getElementById('sites').hidden), true, 'Escape closes the sites');

    // The keyboard reaches every control of the bar, in order.
    await page.evaluate(() => document.activeElement?.blur());
    await page.focus('#search');
    const reached = [];
    for (let i = 0; i < 3; i += 1) {
      await page.keyboard.press('Tab');
      reached.push(await page.evaluate(() => document.activeElement.id));
    }
    assert.deepEqual(reached.slice(0, 1), ['menu-toggle'], `tab order ${reached}`);
    assert.deepEqual(errors, [], 'no console errors');
    await page.close();
  });
}

test('on a desktop every action shows in the bar without a menu', { timeout: 120_000 }, async () => {
  const { page, errors } = await open(`${base}/#map=12/50.43/2.83`, { width: 1280, height: 800 });
  assert.equal(await page.isVisible('#menu-toggle'), false);
  for (const id of ['search', 'basemap', 'analyse-toggle', 'sites-toggle', 'export', 'share', 'panel-toggle']) {
    assert.ok(await inView(page, `#${id}`), `#${id} in the bar`);
  }
  assert.equal(await page.evaluate(() => document.getElementById('panel').hidden), false, 'layers open on a desktop');
  const s = await noSidewaysScroll(page);
  assert.ok(s.doc <= s.width);
  assert.deepEqual(errors, []);
  await page.close();
});
