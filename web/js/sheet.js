// The territory sheet: a commune's indicators gathered from the layers that exist, each with its
// source (producer, date) and a mark when it is synthetic. Reads the OGC API.
import { escape, num, pct } from './format.js';

async function items(collection, params) {
  const res = await fetch(`ogc/collections/${collection}/items?${params}`);
  return res.ok ? res.json() : null;
}

function source(layer) {
  if (!layer) return '';
  const synthetic = layer.synthetic ? ' — <span class="badge">synthétique</span>' : '';
  return `<span class="src">${escape(layer.attribution.producer)}, ${escape(layer.attribution.date)}${synthetic}</span>`;
}

const DENSITY = { 1: 'grand centre urbain', 2: 'centre urbain intermédiaire', 3: 'petite ville', 4: 'ceinture urbaine', 5: 'bourg rural', 6: 'rural à habitat dispersé', 7: 'rural à habitat très dispersé' };

/** Opens the sheet of a commune. */
export async function openSheet(panel, content, layersById, code, name) {
  panel.hidden = false;
  content.innerHTML = `<h2>${escape(name)}</h2><p>Code INSEE ${escape(code)} — chargement…</p>`;
  const has = (id) => layersById.has(id);
  const one = async (id, key = 'code') => (has(id) ? (await items(id, `${key}=${encodeURIComponent(code)}&limit=1`))?.features?.[0]?.properties ?? null : null);
  const [commune, lovac, zonage, acv, pvd, qpv, rpls, friches] = await Promise.all([
    one('communes'),
    one('lovac'),
    one('zonage_abc'),
    one('perimetres_acv'),
    one('perimetres_pvd'),
    one('qpv'),
    one('rpls_communes'),
    has('friches') ? items('friches', `insee_com=${encodeURIComponent(code)}&limit=1`) : null,
  ]);
  const rows = [];
  const add = (label, value, layerId) => rows.push(`<tr><th>${escape(label)}${source(layersById.get(layerId))}</th><td>${value}</td></tr>`);
  if (commune) {
    add('Population municipale 2022', num(commune.pmun22), 'communes');
    if (commune.dens7) add('Densité (INSEE)', escape(DENSITY[commune.dens7] ?? commune.dens7), 'communes');
  }
  if (rpls) {
    add('Logements sociaux', num(rpls.logements), 'rpls_communes');
    if (rpls.vacants !== undefined) add('Vacance du parc social', pct(rpls.vacants, rpls.logements), 'rpls_communes');
    if (rpls.dpe_F !== undefined) add('Étiquettes DPE F et G', pct((rpls.dpe_F ?? 0) + (rpls.dpe_G ?? 0), rpls.logements), 'rpls_communes');
  }
  if (lovac) {
    add('Vacance privée de plus de 2 ans', lovac.pct_vacants_plus_2ans_pp === null || lovac.pct_vacants_plus_2ans_pp === undefined ? 'non publiée' : `${num(lovac.pct_vacants_plus_2ans_pp)} %`, 'lovac');
    if (lovac.nb_log_pp) add('Logements du parc privé', num(lovac.nb_log_pp), 'lovac');
  }
  if (zonage) add('Zonage A/B/C', escape(zonage.zonage_abc ?? '—'), 'zonage_abc');
  const programme = acv ? `Action Cœur de Ville (${escape(acv.date_signature ?? '')})` : pvd ? `Petites villes de demain (${escape(pvd.date_signature ?? '')})` : 'aucun';
  add('Programme', programme, acv ? 'perimetres_acv' : 'perimetres_pvd');
  const ort = acv?.ort_signee ?? pvd?.ort_signee;
  if (acv || pvd) add('Convention ORT', escape(ort ?? 'aucune'), acv ? 'perimetres_acv' : 'perimetres_pvd');
  if (has('qpv')) add('Quartiers prioritaires (QPV)', qpv ? `${num(qpv.n_qp_in_commune)} : ${escape(qpv.code_qp)}` : 'aucun', 'qpv');
  if (friches) add('Friches recensées', num(friches.numberMatched), 'friches');
  content.innerHTML = `<h2>${escape(name)}</h2><p>Code INSEE ${escape(code)}</p><table class="indicators">${rows.join('')}</table>`;
}
