// Popups on click: the topmost feature of a Bourg layer, described for what it is — a residence,
// a commune, a brownfield, a programme perimeter, a cluster of points — or as a plain table.
import { escape, num, pct, year, yesNo } from './format.js';

const DPE = ['A', 'B', 'C', 'D', 'E', 'F', 'G'];

function rows(pairs) {
  return `<table>${pairs
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<tr><th>${escape(k)}</th><td>${v}</td></tr>`)
    .join('')}</table>`;
}

function residence(p) {
  const scored = ['fragilite', 'frag_vacance', 'frag_dpe', 'frag_age', 'frag_qpv'].some((k) => p[k] !== undefined);
  const frag = (v, text) => (v !== undefined ? text() : scored ? 'non disponible' : undefined);
  const dpe = DPE.map((c) => (p[`dpe_${c}`] ? `${c} ${p[`dpe_${c}`]}` : null)).filter(Boolean).join(' · ');
  return {
    title: `Résidence${p.NOMVOIE ? ` ${escape(p.NUMVOIE ?? '')} ${escape(p.TYPVOIE ?? '')} ${escape(p.NOMVOIE)}` : ''}`,
    body: rows([
      // The synthetic files name a fictitious landlord; the real RPLS files name none.
      ['Bailleur (synthétique)', p.SYNTH_BAILLEUR !== undefined ? escape(p.SYNTH_BAILLEUR) : undefined],
      ['Bailleur', p.BAILLEUR !== undefined ? escape(p.BAILLEUR) : undefined],
      ['Commune', escape(p.LIBCOM)],
      ['Logements', num(p.logements)],
      // Without an occupancy column (the real files) vacancy is unknown, never 0.
      ['Vacants', p.vacants !== undefined ? `${num(p.vacants)} (${pct(p.vacants, p.logements ?? 0)})` : 'non disponible'],
      ['Vides', p.vides !== undefined ? num(p.vides) : undefined],
      ['Étiquettes DPE', dpe || '—'],
      ['Construction', year(p.CONSTRUCT)],
      // en_qpv: a flag, or the number of dwellings declared in a QPV.
      ['En QPV', typeof p.en_qpv === 'number' ? (p.en_qpv > 0 ? `oui (${num(p.en_qpv)} logements)` : 'non') : p.en_qpv !== undefined ? yesNo(p.en_qpv) : 'non disponible'],
      // Null values are left out of the tiles: of a scored residence, a missing part is
      // "non disponible" (the score is then the weighted mean of the known parts).
      ['Fragilité', frag(p.fragilite, () => `<strong>${num(p.fragilite)}</strong> / 100`)],
      ['dont vacance', frag(p.frag_vacance, () => `${num(p.frag_vacance * 100)} % du maximum (poids 35 %)`)],
      ['dont DPE F-G', frag(p.frag_dpe, () => `${num(p.frag_dpe * 100)} % (poids 30 %)`)],
      ['dont âge', frag(p.frag_age, () => `${num(p.frag_age * 100)} % (poids 20 %)`)],
      ['dont QPV', frag(p.frag_qpv, () => `${num(p.frag_qpv * 100)} % (poids 15 %)`)],
    ]),
  };
}

function cluster(p, title) {
  const extra = Object.entries(p).filter(([k]) => !['aggregated', 'count'].includes(k));
  return {
    title: `${num(p.count)} objets regroupés`,
    body: `<p>${escape(title)} — zoomez pour les voir un par un.</p>${rows(extra.map(([k, v]) => [k, num(v)]))}`,
  };
}

function friche(p) {
  return {
    title: 'Friche',
    body: rows([
      ['Identifiant', escape(p.site_id)],
      ['Statut', escape(p.site_statut)],
      ['Source', escape(p.nature_source)],
      ['Producteur', escape(p.producteur)],
      ['Commune (INSEE)', escape(p.insee_com)],
    ]),
  };
}

function perimeter(p, title) {
  return {
    title: `${escape(p.nom ?? p.lib_com ?? '')} — ${escape(title)}`,
    body: rows([
      ['Programme', p.id_acv ? `Action Cœur de Ville (${escape(p.id_acv)})` : p.id_pvd ? `Petites villes de demain (${escape(p.id_pvd)})` : undefined],
      ['Signature', escape(p.date_signature)],
      ['Convention ORT', p.ort_signee !== undefined ? `${escape(p.ort_signee)}${p.ort_date_signature ? ` (${escape(p.ort_date_signature)})` : ''}` : undefined],
      ['Population 2022', num(p.pmun22)],
    ]),
  };
}

function commune(p, title) {
  return {
    title: `${escape(p.nom)} (${escape(p.code)})`,
    body: rows([
      ['Couche', escape(title)],
      ['Population 2022', num(p.pmun22)],
      ['Vacance privée > 2 ans', p.pct_vacants_plus_2ans_pp !== undefined ? `${num(p.pct_vacants_plus_2ans_pp)} %` : undefined],
      ['Logements privés', p.nb_log_pp !== undefined ? num(p.nb_log_pp) : undefined],
      ['Zonage A/B/C', p.zonage_abc !== undefined ? escape(p.zonage_abc) : undefined],
      ['Logements sociaux', p.logements !== undefined ? num(p.logements) : undefined],
      ['QPV', p.code_qp !== undefined ? escape(p.code_qp) : undefined],
    ]),
  };
}

function generic(p, title) {
  return { title: escape(title), body: rows(Object.entries(p).map(([k, v]) => [k, num(v)])) };
}

/** The popup content for a rendered feature; `territory` is set when a sheet can open. */
export function describe(feature, layer) {
  const p = feature.properties;
  const title = layer?.title ?? feature.sourceLayer;
  if (p.aggregated) return { ...cluster(p, title), territory: null };
  if (p.logements !== undefined && p.DEPCOM !== undefined) return { ...residence(p), territory: null };
  if (p.site_statut !== undefined && p.site_id !== undefined) return { ...friche(p), territory: null };
  if (p.code !== undefined && (p.id_acv !== undefined || p.id_pvd !== undefined)) {
    return { ...perimeter(p, title), territory: { code: p.code, name: p.nom } };
  }
  if (p.code !== undefined && p.nom !== undefined && feature.geometry.type.endsWith('Polygon')) {
    return { ...commune(p, title), territory: { code: p.code, name: p.nom } };
  }
  return { ...generic(p, title), territory: null };
}
