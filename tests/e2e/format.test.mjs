// Unit tests of web/js/format.js, imported directly (pure ES module, no browser): French numbers,
// percentages, years, dates, plurals and typography, and values read through a layer's words.
// Run: node --test tests/e2e/format.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MISSING, NBSP, NNBSP, date, escape, formatValue, isPlural, num, pct, percent, plural, typo, year, yesNo,
} from '../../web/js/format.js';

test('plurals: 0 and 1 are singular in French', () => {
  assert.equal(plural(0, 'logement', 'logements'), `0${NBSP}logement`);
  assert.equal(plural(1, 'logement', 'logements'), `1${NBSP}logement`);
  assert.equal(plural(1.5, 'an', 'ans'), `1,5${NBSP}an`);
  assert.equal(plural(2, 'logement', 'logements'), `2${NBSP}logements`);
  assert.equal(plural(1234, 'logement', 'logements'), `1${NNBSP}234${NBSP}logements`);
  assert.deepEqual([-2, -1, 0, 1, 1.9, 2].map(isPlural), [true, false, false, false, false, true]);
});

test('numbers, percentages and years in French', () => {
  // Intl's fr-FR groups thousands with a narrow no-break space and uses a decimal comma.
  assert.equal(num(1234.56), `1${NNBSP}234,6`);
  assert.equal(percent(12.5), `12,5${NNBSP}%`);
  assert.equal(pct(1, 8), `12,5${NNBSP}%`);
  assert.equal(pct(1, 0), '—');
  for (const y of [2016, 1856, 2016.0]) assert.doesNotMatch(year(y), /\d\D\d{3}/, `${y}`);
  assert.equal(year(2016), '2016');
  assert.equal(yesNo(false), 'non');
});

test('dates in words', () => {
  assert.equal(date('2023-03-07'), '7 mars 2023');
  assert.equal(date('2022-12-01'), '1er décembre 2022');
  assert.equal(date('2024-09'), 'septembre 2024');
  assert.equal(date('2023-13-01'), '2023-13-01', 'not a month: as written');
  assert.equal(date('<b>'), '&lt;b&gt;');
});

test('French typography before : ; ? !', () => {
  assert.equal(typo('Fond : aucun ; hors ligne ? oui !'), `Fond${NNBSP}: aucun${NNBSP}; hors ligne${NNBSP}? oui${NNBSP}!`);
  assert.equal(typo('Note: ok'), `Note${NNBSP}: ok`);
  // Already right, a URL, a time and an HTML entity are left alone.
  assert.equal(typo(`a${NNBSP}: b`), `a${NNBSP}: b`);
  assert.equal(typo('https://data.geopf.fr 12:30'), 'https://data.geopf.fr 12:30');
  assert.equal(typo(escape('A & B ; C')), `A &amp; B${NNBSP}; C`);
});

test('values read through formats and code texts, never undefined, null or NaN', () => {
  for (const v of [undefined, null, '', NaN, Infinity]) assert.equal(formatValue(v, 'year'), MISSING);
  assert.equal(formatValue(2016, 'year'), '2016');
  assert.equal(formatValue(2016), `2${NNBSP}016`, 'a plain number is grouped');
  assert.equal(formatValue(true), 'oui');
  assert.equal(formatValue(false, 'code'), 'non');
  assert.equal(formatValue('3. Autre', undefined, { '3. Autre': 'Autre commune' }), 'Autre commune');
  assert.equal(formatValue(6, undefined, { 6: 'Rural à habitat dispersé' }), 'Rural à habitat dispersé');
  assert.equal(formatValue('Autre', undefined, { '3. Autre': 'Autre commune' }), 'Autre', 'an unlisted code as written');
  assert.equal(formatValue(12.5, 'percent'), `12,5${NNBSP}%`);
  assert.equal(formatValue(0.125, 'fraction'), `12,5${NNBSP}%`);
  assert.equal(formatValue(1250, 'm2'), `1${NNBSP}250${NBSP}m²`);
  assert.equal(formatValue(1, 'years'), `1${NBSP}an`);
  assert.equal(formatValue(8, 'years'), `8${NBSP}ans`);
  assert.equal(formatValue(42.5, 'score'), '42,5 sur 100');
  assert.equal(formatValue(62498, 'code'), '62498');
  assert.equal(formatValue('2023-03-07', 'date'), '7 mars 2023');
  assert.equal(formatValue('<i>x</i>'), '&lt;i&gt;x&lt;/i&gt;');
});
