// Unit tests of the pure helpers of web/js/qualif-view.js, imported directly (no browser): the table's
// sort (missing values last either way), score colours (the scale's ends and a hand-computed
// midpoint), signed changes, timestamps and refusals in French.
// Run: node --test tests/e2e/qualif-helpers.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NBSP } from '../../web/js/format.js';
import { SCORE_COLORS, STATUS, refusal, scoreColor, signed, sortResidences, when } from '../../web/js/qualif-view.js';

test('the table sorts by a column, missing values last in both directions', () => {
  const rows = [
    { id: 'a', overall: 3.2, address: 'rue B' },
    { id: 'b', overall: null, address: 'rue a' },
    { id: 'c', overall: 1.5, address: 'Rue C' },
    { id: 'd', address: 'rue 10' },
    { id: 'e', overall: 4, address: 'rue 9' },
  ];
  assert.deepEqual(sortResidences(rows, 'overall', 'asc').map((r) => r.id), ['c', 'a', 'e', 'b', 'd']);
  assert.deepEqual(sortResidences(rows, 'overall', 'desc').map((r) => r.id), ['e', 'a', 'c', 'b', 'd']);
  // Text in French order, case-insensitive, numbers in streets by value.
  assert.deepEqual(sortResidences(rows, 'address', 'asc').map((r) => r.address), ['rue 9', 'rue 10', 'rue a', 'rue B', 'Rue C']);
  // Disagreement: true before false when descending; the input is left alone.
  const flags = [{ id: 1, desaccord: false }, { id: 2, desaccord: true }, { id: 3, desaccord: null }];
  assert.deepEqual(sortResidences(flags, 'desaccord', 'desc').map((r) => r.id), [2, 1, 3]);
  assert.deepEqual(flags.map((r) => r.id), [1, 2, 3]);
});

test('score colours: red at 1, green at 5, interpolated between, grey without a score', () => {
  assert.equal(scoreColor(1), SCORE_COLORS[0][1]);
  assert.equal(scoreColor(5), SCORE_COLORS[4][1]);
  assert.equal(scoreColor(3), SCORE_COLORS[2][1]);
  // Halfway between #fee08b (3) and #91cf60 (4): (254+145)/2 = 199.5 → c8, (224+207)/2 = 215.5 → d8,
  // (139+96)/2 = 117.5 → 76.
  assert.equal(scoreColor(3.5), '#c8d876');
  assert.equal(scoreColor(9), SCORE_COLORS[4][1], 'clamped');
  for (const v of [null, undefined, Number.NaN, '3']) assert.equal(scoreColor(v), '#d9d9d9');
});

test('statuses, signed changes and timestamps read in French', () => {
  assert.deepEqual(Object.values(STATUS), ['brouillon', 'ouverte', 'close', 'publiée']);
  assert.equal(signed(0.4), '+0,4');
  assert.equal(signed(-1.25), '−1,3');
  assert.equal(signed(0), '0');
  assert.equal(signed(null), '—');
  const local = new Date(2026, 2, 1, 9, 5).toISOString();
  assert.equal(when(local), `1er mars 2026 à 9${NBSP}h${NBSP}05`);
  assert.equal(when(null), '—');
});

test('a refusal says in French what failed and why, with the server\'s reason', () => {
  assert.equal(refusal({ status: 403, body: { description: 'the campaign is closed' } }, 'La note n’a pas pu être enregistrée'),
    'La note n’a pas pu être enregistrée : action non permise (the campaign is closed).');
  assert.equal(refusal({ status: 0, body: { description: 'Le serveur ne répond pas.' } }, 'Campagne indisponible'),
    'Campagne indisponible : le serveur ne répond pas.');
  assert.equal(refusal({ status: 500, body: {} }, 'Campagne indisponible'), 'Campagne indisponible : erreur 500.');
});
