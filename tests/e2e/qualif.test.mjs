// "Qualification du parc" in headless Chromium, against a real server with a fresh database: two
// partners (the CA de Lens-Liévin, pilot, and the landlord Maisons & Cités) sign in with their
// personal tokens and rate the same residences (from the map and from the table); a two-point gap
// on one criterion shows as a disagreement in the table and the form; the pilot closes and
// publishes; the XLSX export, read back by Python's zipfile (not our writer), holds the three
// residences and their scores. Also: a phone (390×844) signing in and rating with the keyboard
// only; a stale save from a second tab answered by the conflict message; a link to an unpublished
// campaign, signed out and for another organisation. Screenshots land in $E2E_OUT (qualif-*.png).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { start, stop, open, idle, OUT, ADMIN_TOKEN } from './support.mjs';

let base;
/** The two partners, their tokens, and the campaigns made for the tests. */
const ctx = {};

/** A JSON call to the API with a bearer token; asserts the status. */
async function call(method, url, token, body, status) {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (status !== undefined) assert.equal(res.status, status, `${method} ${url}: ${text}`);
  return text ? JSON.parse(text) : null;
}

before(async () => {
  base = await start();
  // Organisations and members, by the admin token.
  ctx.epci = await call('POST', '/admin/orgs', ADMIN_TOKEN, { name: 'CA de Lens-Liévin', kind: 'epci' }, 201);
  ctx.landlord = await call('POST', '/admin/orgs', ADMIN_TOKEN, { name: 'Maisons & Cités', kind: 'bailleur' }, 201);
  ctx.marie = await call('POST', `/admin/orgs/${ctx.epci.id}/members`, ADMIN_TOKEN, { name: 'Marie Dupont' }, 201);
  ctx.jean = await call('POST', `/admin/orgs/${ctx.epci.id}/members`, ADMIN_TOKEN, { name: 'Jean Durand' }, 201);
  ctx.paul = await call('POST', `/admin/orgs/${ctx.landlord.id}/members`, ADMIN_TOKEN, { name: 'Paul Martin' }, 201);
  ctx.town = await call('POST', '/admin/orgs', ADMIN_TOKEN, { name: 'Ville de Liévin', kind: 'commune' }, 201);
  ctx.lea = await call('POST', `/admin/orgs/${ctx.town.id}/members`, ADMIN_TOKEN, { name: 'Léa Petit' }, 201);
  for (const m of [ctx.marie, ctx.jean, ctx.paul, ctx.lea]) assert.match(m.token, /^bourg_/);
  // The campaign of the agglomeration, created by the EPCI's member: the EPCI is its pilot.
  const partners = [ctx.epci.id, ctx.landlord.id];
  ctx.main = await call('POST', '/api/campaigns', ctx.marie.token, { name: 'Qualification 2026', territory: '246200364', partners, status: 'open', opens: '2026-01-15', closes: '2026-06-30' }, 201);
  assert.equal(ctx.main.pilot?.id, ctx.epci.id, 'the EPCI pilots the campaign it created');
  assert.equal(ctx.main.status, 'open');
  // A smaller one, on Lens alone, for the phone and the stale save.
  ctx.lens = await call('POST', '/api/campaigns', ctx.marie.token, { name: 'Essai Lens', territory: '62498', partners, status: 'open' }, 201);
});
after(stop);

const sel = (rid) => `#qualif-table tbody tr[data-rid="${rid}"]`;

/** Waits until the panel has done what the user asked (it is `aria-busy` meanwhile). */
const settled = (page) => page.waitForSelector('#qualif:not([aria-busy])', { timeout: 120_000 });

/** Signs in with a token from the panel (already open). */
async function signIn(page, member, org) {
  await page.fill('#qualif-token', member.token);
  await page.press('#qualif-token', 'Enter');
  await page.waitForSelector('#qualif-who:not([hidden])');
  await settled(page);
  assert.equal(await page.textContent('#qualif-who-name'), `Connecté : ${member.name} (${org.name})`);
}

async function signOut(page) {
  await page.click('#qualif-signout');
  await page.waitForSelector('#qualif-signin:not([hidden])');
  await settled(page);
}

/** Picks a campaign and waits for its table. */
async function pick(page, campaign) {
  await page.selectOption('#qualif-campaign', String(campaign.id));
  await settled(page);
  assert.ok(await page.$eval('#qualif-count', (c) => c.dataset.total !== undefined), 'the table is drawn');
}

/** Rates the open residence with the mouse: `scores` by criterion id, then Enregistrer. */
async function rateWithMouse(page, scores, comment) {
  for (const [criterion, v] of Object.entries(scores)) {
    await page.click(`#qualif-residence fieldset[data-criterion="${criterion}"] label.choice:nth-child(${v})`);
  }
  if (comment !== undefined) await page.fill('#qualif-comment', comment);
  const saved = page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().includes('/ratings/'));
  await page.click('#qualif-residence .save');
  const res = await saved;
  assert.ok([200, 201].includes(res.status()), `PUT answered ${res.status()}`);
  await page.waitForSelector('#qualif-residence .save-status:has-text("révision")');
  await settled(page);
  return page.textContent('#qualif-residence .save-status');
}

/** Opens a residence by clicking its point on the map. */
async function clickOnMap(page, rid, lon, lat) {
  await page.evaluate(([x, y]) => window.bourg.map.jumpTo({ center: [x, y], zoom: 16 }), [lon, lat]);
  await idle(page);
  const target = await page.evaluate((id) => {
    const map = window.bourg.map;
    const f = map.queryRenderedFeatures({ layers: ['qualif-residences'] }).find((x) => x.properties.id === id);
    if (!f) return null;
    const p = map.project(f.geometry.coordinates);
    const box = map.getContainer().getBoundingClientRect();
    return { x: box.left + p.x, y: box.top + p.y };
  }, rid);
  assert.ok(target, `residence ${rid} drawn on the map`);
  await page.mouse.click(target.x, target.y);
  await page.waitForFunction((id) => document.querySelector('#qualif-residence .residence-sheet')?.textContent.includes(id), rid, { timeout: 30_000 });
}

const ALL = (v) => Object.fromEntries(ctx.main.criteria.map((c) => [c.id, v]));

/** The first sheet of an XLSX as rows of cell values, read with Python's zipfile and XML parser. */
function xlsxSheet(file) {
  const script = `
import sys, json, zipfile, re
import xml.etree.ElementTree as ET
ns = {'m': 'http://schemas.openxmlformats.org/spreadsheetml/2006/main'}
z = zipfile.ZipFile(sys.argv[1])
shared = []
if 'xl/sharedStrings.xml' in z.namelist():
    for si in ET.fromstring(z.read('xl/sharedStrings.xml')).findall('m:si', ns):
        shared.append(''.join(t.text or '' for t in si.iter('{%s}t' % ns['m'])))
def col(ref):
    n = 0
    for ch in re.match(r'[A-Z]+', ref).group(0):
        n = n * 26 + ord(ch) - 64
    return n - 1
rows = []
for row in ET.fromstring(z.read('xl/worksheets/sheet1.xml')).iter('{%s}row' % ns['m']):
    cells = {}
    for c in row.findall('m:c', ns):
        t = c.get('t')
        v = c.find('m:v', ns)
        if t == 's':
            value = shared[int(v.text)]
        elif t == 'inlineStr':
            value = ''.join(x.text or '' for x in c.iter('{%s}t' % ns['m']))
        elif t == 'b':
            value = v.text == '1'
        elif t == 'str':
            value = v.text
        elif v is not None:
            value = float(v.text)
        else:
            value = None
        cells[col(c.get('r'))] = value
    width = max(cells) + 1 if cells else 0
    rows.append([cells.get(i) for i in range(width)])
print(json.dumps(rows))
`;
  return JSON.parse(execFileSync('python3', ['-c', script, file], { maxBuffer: 64 << 20 }).toString());
}

test('two partners rate the same residences, disagree on one, the pilot publishes and exports', { timeout: 600_000 }, async () => {
  const { page, errors } = await open(`${base}/#map=10/50.43/2.78`);
  await page.click('#qualif-toggle');
  await page.waitForSelector('#qualif:not([hidden])');
  // Anonymous: nothing published yet.
  assert.equal(await page.$$eval('#qualif-campaign option', (o) => o.filter((x) => x.value).length), 0, 'no campaign visible before signing in');
  await signIn(page, ctx.marie, ctx.epci);
  await pick(page, ctx.main);
  assert.match(page.url(), new RegExp(`qualif=${ctx.main.id}`), 'the campaign goes in the link');
  const info = await page.textContent('#qualif-campaign-info');
  assert.match(info, /CA de Lens - Liévin|CA de Lens-Liévin/);
  assert.match(info, /ouverte/);
  assert.match(info, /15 janvier 2026/);
  const total = Number(await page.$eval('#qualif-count', (c) => c.dataset.total));
  assert.ok(total > 1000, `${total} residences in the agglomeration`);
  assert.match(info, new RegExp(`0\\srésidence notée sur ${total.toLocaleString('fr-FR').replace(/\s/g, '.')}`));
  // The pilot manages the campaign.
  assert.ok(await page.isVisible('#qualif-campaign-info .manage button[data-status="closed"]'), 'Clore offered to the pilot');
  // The map fits the territory and draws its residences.
  await idle(page);
  const zoom = await page.evaluate(() => window.bourg.map.getZoom());
  assert.ok(zoom > 9 && zoom < 13, `fitted to the agglomeration at z${zoom}`);
  await page.waitForFunction(() => window.bourg.map.queryRenderedFeatures({ layers: ['qualif-residences'] }).length > 100, null, { timeout: 60_000 });
  await page.screenshot({ path: path.join(OUT, 'qualif-campaign.png') });

  // Three residences: the first three rows.
  const rows = await page.$$eval('#qualif-table tbody tr', (trs) => trs.slice(0, 3).map((tr) => tr.dataset.rid));
  const [a, b, c] = rows;
  for (const rid of rows) assert.match(rid, /^62\d{3}-\d{6}-\d{7}$/, `residence id DEPCOM-X-Y: ${rid}`);
  const one = await call('GET', `/api/campaigns/${ctx.main.id}/residences/${a}`, ctx.marie.token, undefined, 200);

  // A: clicked on the map; all 4.
  await clickOnMap(page, a, one.lon, one.lat);
  assert.match(await rateWithMouse(page, ALL(4), 'Résidence bien tenue'), /Note enregistrée \(révision 1\)/);
  await page.screenshot({ path: path.join(OUT, 'qualif-rated.png') });
  // B and C: from the table.
  await page.click('#qualif-residence .back');
  await page.click(`${sel(b)} .open-residence`);
  await page.waitForSelector('#qualif-residence form.rating');
  await rateWithMouse(page, ALL(3));
  await page.click('#qualif-residence .back');
  await page.click(`${sel(c)} .open-residence`);
  await page.waitForSelector('#qualif-residence form.rating');
  await rateWithMouse(page, { ...ALL(3), cadre_de_vie: 2 });
  await page.click('#qualif-residence .back');
  assert.match(await page.textContent('#qualif-campaign-info'), /3\srésidences notées/);
  // The map follows: the three are "en cours" (one partner of two).
  await page.waitForFunction((ids) => {
    const f = window.bourg.map.queryRenderedFeatures({ layers: ['qualif-residences'] }).filter((x) => ids.includes(x.properties.id));
    return f.length > 0 && f.every((x) => x.properties.etat === 'en_cours');
  }, rows, { timeout: 60_000 });

  // Partner 2 signs in on the same page and rates the same three; B two points apart on one criterion.
  await signOut(page);
  await signIn(page, ctx.paul, ctx.landlord);
  assert.equal(await page.inputValue('#qualif-campaign'), String(ctx.main.id), 'the campaign stays open for the next partner');
  assert.equal(await page.isVisible('#qualif-campaign-info .manage'), false, 'a partner does not manage the campaign');
  for (const [rid, scores] of [[a, ALL(4)], [b, { ...ALL(3), tranquillite: 5 }], [c, { ...ALL(3), cadre_de_vie: 2 }]]) {
    await page.click(`${sel(rid)} .open-residence`);
    await page.waitForSelector('#qualif-residence form.rating');
    // The others' ratings stay hidden from a partner while the campaign is open.
    assert.equal(await page.$('#qualif-residence table.notes'), null, 'no partner ratings shown before publication');
    await rateWithMouse(page, scores);
    await page.click('#qualif-residence .back');
  }

  // The pilot sees the disagreement: in the table, in the filter, in the form.
  await signOut(page);
  await signIn(page, ctx.marie, ctx.epci);
  await page.waitForSelector(`${sel(b)} .flag`, { timeout: 60_000 });
  assert.equal(await page.$(`${sel(a)} .flag`), null, 'A: no disagreement');
  assert.equal(await page.$(`${sel(c)} .flag`), null, 'C: no disagreement');
  await page.check('input[name=qualif-filter][value=desaccord]');
  await settled(page);
  assert.deepEqual(await page.$$eval('#qualif-table tbody tr', (trs) => trs.map((tr) => tr.dataset.rid)), [b], 'only B disagrees');
  assert.match(await page.$eval('#qualif-export-xlsx', (x) => x.href), /filter=desaccord/);
  await page.screenshot({ path: path.join(OUT, 'qualif-desaccord.png') });
  // On the map B is ringed; coloured by score, A (4) is green.
  const where = await call('GET', `/api/campaigns/${ctx.main.id}/residences/${b}`, ctx.marie.token, undefined, 200);
  await page.evaluate(([x, y]) => window.bourg.map.jumpTo({ center: [x, y], zoom: 16 }), [where.lon, where.lat]);
  await idle(page);
  await page.waitForFunction((id) => window.bourg.map.queryRenderedFeatures({ layers: ['qualif-desaccord'] }).map((f) => f.properties.id).join() === id, b, { timeout: 60_000 });
  await page.check('input[name=qualif-mode][value=score]');
  assert.equal(await page.evaluate(() => window.bourg.map.getPaintProperty('qualif-residences', 'circle-color')[0]), 'case');
  assert.match(await page.textContent('#qualif-legend'), /1 très défavorable.*5 très favorable/);
  await page.screenshot({ path: path.join(OUT, 'qualif-score-map.png') });
  await page.click(`${sel(b)} .open-residence`);
  await page.waitForSelector('#qualif-residence .consolidated .flag');
  const form = await page.textContent('#qualif-residence');
  assert.match(form, /Écart maximal entre partenaires : 2\u00a0points/);
  assert.match(form, /Maisons & Cités/, 'the pilot sees the other partner\'s ratings');
  const tranquillite = await page.$$eval('#qualif-residence table.notes tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)).find((r) => r[0] === 'Tranquillité'));
  assert.deepEqual(tranquillite.slice(1), ['4', '3', '5'], 'mean 4, the EPCI 3, the landlord 5');
  assert.match(form, /Indice de fragilité/);
  await page.screenshot({ path: path.join(OUT, 'qualif-desaccord-form.png') });
  await page.click('#qualif-residence .back');
  await page.check('input[name=qualif-filter][value=""]');
  await settled(page);

  // Sorted by the consolidated score, then by the spread: A (4), B (19/6 = 3.2), C (17/6 = 2.8).
  // (The table starts sorted by the score, lowest first: one click turns it round.)
  assert.equal(await page.$eval('#qualif-table thead th[aria-sort]', (th) => th.textContent), 'Note ↑');
  await page.click('#qualif-table thead button[data-sort="overall"]');
  assert.equal(await page.$eval('#qualif-table thead th[aria-sort]', (th) => th.getAttribute('aria-sort')), 'descending');
  assert.deepEqual(await page.$$eval('#qualif-table tbody tr', (trs) => trs.slice(0, 3).map((tr) => tr.dataset.rid)), [a, b, c]);
  await page.click('#qualif-table thead button[data-sort="spread"]');
  await page.click('#qualif-table thead button[data-sort="spread"]');
  assert.equal(await page.$eval('#qualif-table tbody tr', (tr) => tr.dataset.rid), b, 'the widest spread first');

  // The pilot closes, then publishes.
  await page.click('#qualif-campaign-info .manage button[data-status="closed"]');
  await page.waitForSelector('#qualif-campaign-info .status-closed');
  await page.click('#qualif-campaign-info .manage button[data-status="published"]');
  await page.waitForSelector('#qualif-campaign-info .status-published');
  await settled(page);
  assert.match(await page.textContent('#qualif-campaign-info'), /publiée/);
  assert.match(await page.textContent('#qualif-campaign-info'), /3\srésidences notées sur .*dont 3 par tous les partenaires/);
  await page.screenshot({ path: path.join(OUT, 'qualif-published.png') });

  // The XLSX export of every residence, read back.
  const href = await page.$eval('#qualif-export-xlsx', (x) => x.href);
  assert.match(href, /f=xlsx/);
  assert.doesNotMatch(href, /filter=/);
  const res = await page.request.get(href);
  assert.equal(res.status(), 200);
  const file = path.join(OUT, 'qualif.xlsx');
  writeFileSync(file, await res.body());
  const sheet = xlsxSheet(file);
  const header = sheet[0];
  const column = (name) => {
    const i = header.indexOf(name);
    assert.ok(i >= 0, `column « ${name} » in ${JSON.stringify(header)}`);
    return i;
  };
  const id = column('identifiant');
  const byId = new Map(sheet.slice(1).map((r) => [r[id], r]));
  assert.equal(byId.size, total, 'every residence exported');
  const expected = {
    [a]: { overall: 4, tranquillite: 4, cadre_de_vie: 4, spread: 0, desaccord: false },
    [b]: { overall: 3.2, tranquillite: 4, cadre_de_vie: 3, spread: 2, desaccord: true },
    [c]: { overall: 2.8, tranquillite: 3, cadre_de_vie: 2, spread: 0, desaccord: false },
  };
  const label = (cid) => ctx.main.criteria.find((x) => x.id === cid).label;
  for (const [rid, e] of Object.entries(expected)) {
    const row = byId.get(rid);
    assert.ok(row, `${rid} exported`);
    assert.equal(row[column('note globale')], e.overall, `${rid} overall`);
    assert.equal(row[column(`moyenne – ${label('tranquillite')}`)], e.tranquillite, `${rid} tranquillité`);
    assert.equal(row[column(`moyenne – ${label('cadre_de_vie')}`)], e.cadre_de_vie, `${rid} cadre de vie`);
    assert.equal(row[column('écart entre partenaires')], e.spread, `${rid} spread`);
    assert.equal(row[column('désaccord')], e.desaccord, `${rid} désaccord`);
    assert.equal(row[column('partenaires ayant noté')], 2, `${rid} partners`);
  }
  // The other links carry the same query.
  for (const f of ['csv', 'gpkg']) {
    const r = await page.request.get(await page.$eval(`#qualif-export-${f}`, (x) => x.href));
    assert.equal(r.status(), 200, `${f} export`);
  }

  // Published: anonymous visitors see the consolidated results, not the partners' ratings.
  await signOut(page);
  assert.equal(await page.inputValue('#qualif-campaign'), String(ctx.main.id), 'published: still open when signed out');
  await page.click(`${sel(b)} .open-residence`);
  await page.waitForSelector('#qualif-residence .consolidated');
  assert.match(await page.textContent('#qualif-residence'), /désaccord/);
  assert.ok(await page.$('#qualif-residence fieldset.grid[disabled]'), 'read-only when signed out');
  assert.match(await page.textContent('#qualif-residence .readonly'), /Connectez-vous/);

  // The link reopens the campaign.
  const link = page.url();
  assert.match(link, new RegExp(`qualif=${ctx.main.id}`));
  const second = await open(link);
  await second.page.waitForFunction((id) => document.getElementById('qualif-campaign').value === String(id), ctx.main.id, { timeout: 60_000 });
  assert.equal(await second.page.isVisible('#qualif'), true);
  assert.deepEqual(errors.filter((e) => !/status of 404/.test(e)), [], 'no console errors');
  assert.deepEqual(second.errors, [], 'no console errors from the link');
  await second.page.close();
  await page.close();
});

test('on a phone, a partner signs in and rates a residence with the keyboard only', { timeout: 300_000 }, async () => {
  const { page, errors } = await open(`${base}/#map=13/50.43/2.83`, { width: 390, height: 844 });
  await page.focus('#search');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'menu-toggle');
  await page.keyboard.press('Enter');
  /** Tabs until `test` holds for the focused element (at most `max` times). */
  const tabTo = async (test, what, max = 60) => {
    for (let i = 0; i < max; i += 1) {
      if (await page.evaluate(test)) return;
      await page.keyboard.press('Tab');
    }
    assert.fail(`Tab never reached ${what}`);
  };
  await tabTo(() => document.activeElement.id === 'qualif-toggle', 'Qualification');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#qualif:not([hidden])');
  const drawer = await page.evaluate(() => document.getElementById('qualif').getBoundingClientRect().toJSON());
  assert.ok(drawer.bottom <= 844.5 && drawer.width >= 389 && drawer.top > 844 * 0.25, `bottom drawer ${JSON.stringify(drawer)}`);
  // The token field has the focus.
  assert.equal(await page.evaluate(() => document.activeElement.id), 'qualif-token');
  await page.keyboard.type(ctx.paul.token);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#qualif-who:not([hidden])');
  // The campaign menu, by the arrows.
  await tabTo(() => document.activeElement.id === 'qualif-campaign', 'the campaign menu');
  for (let i = 0; i < 5 && await page.inputValue('#qualif-campaign') !== String(ctx.lens.id); i += 1) await page.keyboard.press('ArrowDown');
  assert.equal(await page.inputValue('#qualif-campaign'), String(ctx.lens.id));
  await settled(page);
  // The first residence of the table.
  await tabTo(() => document.activeElement.classList.contains('open-residence'), 'a residence of the table', 80);
  const rid = await page.evaluate(() => document.activeElement.closest('tr').dataset.rid);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#qualif-residence form.rating');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'back', 'the focus goes to « Retour »');
  // Each criterion: Tab into its group, Space picks 1, the arrows move to the score.
  const scores = [2, 3, 4, 5, 1, 3];
  for (const v of scores) {
    await tabTo(() => document.activeElement.type === 'radio', 'a criterion');
    await page.keyboard.press('Space');
    for (let i = 1; i < v; i += 1) await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Tab');
  }
  await tabTo(() => document.activeElement.id === 'qualif-comment', 'the comment');
  await page.keyboard.type('Noté au clavier');
  await page.evaluate(() => {
    // A screenshot with the focus ring on the last criterion's choice.
    document.querySelector('#qualif-residence fieldset.criterion:last-of-type input:checked')?.focus();
  });
  await page.addStyleTag({ content: '#qualif { overflow-y: hidden !important; }' });
  await page.screenshot({ path: path.join(OUT, 'qualif-phone-form.png') });
  await page.focus('#qualif-comment');
  await tabTo(() => document.activeElement.classList.contains('save'), 'Enregistrer');
  const saved = page.waitForResponse((r) => r.request().method() === 'PUT');
  await page.keyboard.press('Enter');
  assert.equal((await saved).status(), 201);
  await page.waitForSelector('#qualif-residence .save-status:has-text("révision 1")');
  await page.screenshot({ path: path.join(OUT, 'qualif-phone-saved.png') });
  const stored = await call('GET', `/api/campaigns/${ctx.lens.id}/residences/${rid}`, ctx.paul.token, undefined, 200);
  assert.deepEqual(ctx.lens.criteria.map((cr) => stored.mine.scores[cr.id]), scores, 'the scores typed are stored');
  assert.equal(stored.mine.comment, 'Noté au clavier');
  // Escape: back to the list, then the drawer closes.
  await page.keyboard.press('Escape');
  await page.waitForSelector('#qualif-main:not([hidden])');
  await page.keyboard.press('Escape');
  assert.equal(await page.evaluate(() => document.getElementById('qualif').hidden), true, 'Escape closes the drawer');
  const s = await page.evaluate(() => ({ doc: document.documentElement.scrollWidth, width: window.innerWidth }));
  assert.ok(s.doc <= s.width, `no sideways scroll: ${JSON.stringify(s)}`);
  assert.deepEqual(errors, [], 'no console errors');
  await page.close();
});

test('a stale save from a second tab gets the conflict message, and can take theirs or keep its own', { timeout: 300_000 }, async () => {
  // Two members of the EPCI, each in a tab, open the same residence before either saves.
  const tabs = [];
  for (const member of [ctx.marie, ctx.jean]) {
    const t = await open(`${base}/#map=13/50.43/2.83&qualif=${ctx.lens.id}`);
    await t.page.waitForSelector('#qualif:not([hidden])');
    await signIn(t.page, member, ctx.epci);
    assert.equal(await t.page.inputValue('#qualif-campaign'), String(ctx.lens.id), 'the campaign of the link, once signed in');
    tabs.push(t);
  }
  const [first, second] = tabs.map((t) => t.page);
  const rid = await first.$$eval('#qualif-table tbody tr', (trs) => trs[1].dataset.rid);
  for (const p of [first, second]) {
    await p.click(`${sel(rid)} .open-residence`);
    await p.waitForSelector('#qualif-residence form.rating');
  }
  assert.match(await rateWithMouse(first, ALL(4)), /révision 1/);
  // The second tab saves on top of nothing it has seen: 409, the message, their scores beside ours.
  await rateWithMouse2(second, ALL(2));
  const conflict = await second.textContent('#qualif-residence .conflict');
  assert.match(conflict, /Quelqu’un d’autre a modifié cette note entre-temps/);
  assert.match(conflict, /Marie Dupont/);
  assert.match(await second.textContent('#qualif-residence fieldset[data-criterion="cadre_de_vie"] .theirs'), /Leur note : 4/);
  await second.screenshot({ path: path.join(OUT, 'qualif-conflict.png') });
  // Keep ours, save: revision 2.
  await second.click('#qualif-residence .keep-mine');
  assert.match(await rateWithMouse(second, {}), /révision 2/);
  // The first tab, still on revision 1, saves again: 412 this time; it takes theirs.
  const answer = first.waitForResponse((r) => r.request().method() === 'PUT');
  await first.click('#qualif-residence fieldset[data-criterion="tranquillite"] label.choice:nth-child(5)');
  await first.click('#qualif-residence .save');
  assert.equal((await answer).status(), 412);
  await first.waitForSelector('#qualif-residence .conflict:not([hidden])');
  assert.match(await first.textContent('#qualif-residence .conflict'), /Jean Durand.*révision 2/s);
  await first.click('#qualif-residence .take-theirs');
  const checked = await first.$$eval('#qualif-residence input[type=radio]:checked', (r) => r.map((x) => Number(x.value)));
  assert.deepEqual(checked, ctx.lens.criteria.map(() => 2), 'their version loaded in the form');
  assert.match(await rateWithMouse(first, { tranquillite: 5 }), /révision 3/);
  const stored = await call('GET', `/api/campaigns/${ctx.lens.id}/residences/${rid}`, ctx.marie.token, undefined, 200);
  assert.equal(stored.mine.revision, 3);
  assert.equal(stored.mine.scores.tranquillite, 5);
  assert.equal(stored.mine.scores.cadre_de_vie, 2);
  for (const t of tabs) {
    assert.deepEqual(t.errors.filter((e) => !/status of 40[149]|status of 412/.test(e)), [], 'no console errors but the refused saves');
    await t.page.close();
  }
});

/** Fills the grid and saves, expecting a conflict (409 or 412) instead of a save. */
async function rateWithMouse2(page, scores) {
  for (const [criterion, v] of Object.entries(scores)) {
    await page.click(`#qualif-residence fieldset[data-criterion="${criterion}"] label.choice:nth-child(${v})`);
  }
  const answer = page.waitForResponse((r) => r.request().method() === 'PUT');
  await page.click('#qualif-residence .save');
  assert.ok([409, 412].includes((await answer).status()), 'a conflict');
  await page.waitForSelector('#qualif-residence .conflict:not([hidden])');
}

test('a link to an unpublished campaign: signed out it says to sign in, for another organisation it says why', { timeout: 180_000 }, async () => {
  const link = `${base}/#map=13/50.43/2.83&qualif=${ctx.lens.id}`;
  const { page, errors } = await open(link);
  await settled(page);
  assert.match(await page.textContent('#qualif-campaign-info'), /pas publiée : connectez-vous/);
  await signIn(page, ctx.lea, ctx.town);
  assert.equal(await page.inputValue('#qualif-campaign'), '', 'not offered to an outsider');
  // Signed in, the same link again: the server answers 403 and the panel says why.
  await page.goto('about:blank');
  await page.goto(link);
  await page.waitForFunction(() => window.bourg?.ready === true, null, { timeout: 60_000 });
  await settled(page);
  assert.match(await page.textContent('#qualif-campaign-info'), /votre organisation n’en est pas partenaire/);
  assert.equal(await page.isVisible('#qualif-list'), false);
  assert.deepEqual(errors.filter((e) => !/status of 40[34]/.test(e)), [], 'no console errors but the refusals');
  await page.close();
});
