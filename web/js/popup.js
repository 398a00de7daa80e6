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
  const dpe = DPE.map((c) => (p[`dpe_${c}`] ? `${c} ${p[`dpe_${c}`]}` : null)).filter(Boolean).join(' · ');
  return {
    title: `Résidence${p.NOMVOIE ? ` ${escape(p.NUMVOIE ?? '')} ${escape(p.TYPVOIE ?? '')} ${escape(p.NOMVOIE)}` : ''}`,
    body: rows([
      ['Bailleur', escape(p.BAILLEUR)],
      ['Commune', escape(p.LIBCOM)],
      ['Logements', num(p.logements)],
      ['Vacants', `${num(p.vacants)} (${pct(p.vacants ?? 0, p.logements ?? 0)})`],
      ['Vides', p.vides !== undefined ? num(p.vides) : undefined],
      ['Étiquettes DPE', dpe || '—'],
      ['Construction', year(p.CONSTRUCT)],
      ['En QPV', yesNo(p.en_qpv)],
      ['Fragilité', p.fragilite !== undefined ? `<strong>${num(p.fragilite)}</strong> / 100` : undefined],
      ['dont vacance', p.frag_vacance !== undefined ? `${num(p.frag_vacance * 100)} % du maximum (poids 35 %)` : undefined],
      ['dont DPE F-G', p.frag_dpe !== undefined ? `${num(p.frag_dpe * 100)} % (poids 30 %)` : undefined],
      ['dont âge', p.frag_age !== undefined ? `${num(p.frag_age * 100)} % (poids 20 %)` : undefined],
      ['dont QPV', p.frag_qpv !== undefined ? `${num(p.frag_qpv * 100)} % (poids 15 %)` : undefined],
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
  if (p.logements !== undefined && p.BAILLEUR !== undefined) return { ...residence(p), territory: null };
  if (p.site_statut !== undefined && p.site_id !== undefined) return { ...friche(p), territory: null };
  if (p.code !== undefined && (p.id_acv !== undefined || p.id_pvd !== undefined)) {
    return { ...perimeter(p, title), territory: { code: p.code, name: p.nom } };
  }
  if (p.code !== undefined && p.nom !== undefined && feature.geometry.type.endsWith('Polygon')) {
    return { ...commune(p, title), territory: { code: p.code, name: p.nom } };
  }
  return { ...generic(p, title), territory: null };
}
