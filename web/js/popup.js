// Popups on click: the topmost feature of a Bourg layer, described for what it is — a residence,
// a vacant building, a commune, an EPCI, a département, a brownfield, a programme perimeter, a
// cluster of points — or as a plain table. Every property reads through its layer's words (GET
// /layers: `labels`, `formats`, `values`, `noun`); the raw name shows only when a layer has no
// label for it. A missing value reads "non disponible", never undefined, null or NaN.
import { MISSING, escape, formatValue, isPlural, num, pct, plural, typo } from './format.js';

const DPE = ['A', 'B', 'C', 'D', 'E', 'F', 'G'];
const FRAGILITY = ['fragilite', 'frag_vacance', 'frag_dpe', 'frag_age', 'frag_qpv'];

/** The words of a layer, with what a feature needs to read them. */
function wordsOf(layer, p) {
  const labels = layer?.labels ?? {};
  const formats = layer?.formats ?? {};
  const values = layer?.values ?? {};
  return {
    noun: layer?.noun ?? null,
    label: (k) => escape(labels[k] ?? k),
    format: (k) => formats[k],
    /** Value of property `k` as HTML. */
    value: (k) => formatValue(p[k], formats[k], values[k]),
    /** Human text of a code, unescaped. */
    text: (k) => (p[k] === undefined || p[k] === null ? '' : String(values[k]?.[String(p[k])] ?? p[k])),
    /** Every property of the layer, in its order, then any other the feature carries. */
    keys: () => [...new Set([...(layer?.properties ?? []).map((x) => x.name), ...Object.keys(labels).filter((k) => k in p), ...Object.keys(p)])]
      .filter((k) => k !== 'aggregated'),
  };
}

function rows(pairs) {
  return `<table>${pairs
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`)
    .join('')}</table>`;
}

/** The rows of every property not in `shown`, each labelled and formatted. */
function restRows(w, shown) {
  return w.keys().filter((k) => !shown.includes(k)).map((k) => [w.label(k), w.value(k)]);
}

/** The rest of the properties folded under "Toutes les données". */
function details(w, shown) {
  const rest = restRows(w, shown);
  // Scrolled within the popup, which stays on screen.
  return rest.length ? `<details><summary>Toutes les données</summary><div style="max-height:14rem;overflow-y:auto">${rows(rest)}</div></details>` : '';
}

function residence(p, w) {
  const scored = FRAGILITY.some((k) => p[k] !== undefined);
  // Null values are left out of the tiles: of a scored residence, a missing part is
  // "non disponible" (the score is then the weighted mean of the known parts).
  const frag = (k, text) => (p[k] !== undefined ? text(p[k]) : scored ? MISSING : undefined);
  const dpe = DPE.filter((c) => p[`dpe_${c}`]).map((c) => `${c}${'\u00A0'}${num(p[`dpe_${c}`])}`).join(' · ');
  const address = [w.text('NUMVOIE'), w.text('INDREP'), w.text('TYPVOIE'), w.text('NOMVOIE')].filter(Boolean).join(' ');
  const shown = ['SYNTH_BAILLEUR', 'BAILLEUR', 'LIBCOM', 'logements', 'vacants', 'vides', 'CONSTRUCT', 'en_qpv', ...FRAGILITY];
  const part = (weight, suffix = '') => (v) => `${num(v * 100)}${'\u202F'}%${suffix} (poids ${weight}${'\u202F'}%)`;
  return {
    title: `Résidence${p.NOMVOIE ? ` ${escape(address)}` : ''}`,
    body: rows([
      // The synthetic files name a fictitious landlord; the real RPLS files name none.
      [w.label('SYNTH_BAILLEUR'), p.SYNTH_BAILLEUR !== undefined ? w.value('SYNTH_BAILLEUR') : undefined],
      [w.label('BAILLEUR'), p.BAILLEUR !== undefined ? w.value('BAILLEUR') : undefined],
      [w.label('LIBCOM'), w.value('LIBCOM')],
      [w.label('logements'), w.value('logements')],
      // Without an occupancy column (the real files) vacancy is unknown, never 0.
      [w.label('vacants'), p.vacants !== undefined ? `${num(p.vacants)} (${pct(p.vacants, p.logements ?? 0)})` : MISSING],
      [w.label('vides'), p.vides !== undefined ? w.value('vides') : undefined],
      ['Étiquettes DPE', dpe || MISSING],
      [w.label('CONSTRUCT'), w.value('CONSTRUCT')],
      // en_qpv: a flag, or the number of dwellings declared in a QPV.
      [w.label('en_qpv'), typeof p.en_qpv === 'number' ? (p.en_qpv > 0 ? `oui (${plural(p.en_qpv, 'logement', 'logements')})` : 'non') : w.value('en_qpv')],
      [w.label('fragilite'), frag('fragilite', () => `<strong>${w.value('fragilite')}</strong>`)],
      [w.label('frag_vacance'), frag('frag_vacance', part(35, ' du maximum'))],
      [w.label('frag_dpe'), frag('frag_dpe', part(30))],
      [w.label('frag_age'), frag('frag_age', part(20))],
      [w.label('frag_qpv'), frag('frag_qpv', part(15))],
    ]) + details(w, shown),
  };
}

function vacancy(p, w) {
  const n = p.NB_LOGVAC;
  const years = p.DUREE_VACANCE;
  const what = typeof n === 'number' ? plural(n, 'logement vacant', 'logements vacants') : 'Logements vacants';
  const since = typeof years === 'number' ? ` depuis ${plural(years, 'an', 'ans')}` : '';
  return {
    title: `${what}${since}`,
    body: rows(restRows(w, [])),
  };
}

function cluster(p, w, title) {
  const n = p.count;
  const noun = w.noun ?? { one: 'objet', many: 'objets' };
  // "12 résidences regroupées" from the count's own label (it agrees in gender); "1 résidence".
  const label = w.label('count');
  const many = label !== 'count' ? label.charAt(0).toLowerCase() + label.slice(1) : `${escape(noun.many)} regroupés`;
  const heading = isPlural(n) ? `${num(n)}${'\u00A0'}${many}` : plural(n, escape(noun.one), escape(noun.many));
  const stats = Object.keys(p).filter((k) => p[`${k}_max`] !== undefined);
  const pairs = Object.keys(p)
    .filter((k) => !['aggregated', 'count'].includes(k))
    .map((k) => (stats.includes(k) ? [w.label(`${k}_mean`), formatValue(p[k], w.format(k))] : [w.label(k), w.value(k)]));
  return {
    title: heading,
    body: `<p>${escape(typo(`${title} — zoomez pour voir chaque ${noun.one}.`))}</p>${rows(pairs)}`,
  };
}

/** The fields of the CNIG standard a brownfield popup leads with, when the data has them. */
const FRICHE_MAIN = ['site_type', 'site_adresse', 'unite_fonciere_surface', 'bati_surface', 'proprio_type', 'urba_zone_type', 'sol_pollution_existe'];

function friche(p, w) {
  // The status always (unknown said so); the CNIG fields the site has; the rest folded, as most
  // sites of the inventory have no CNIG record.
  const known = FRICHE_MAIN.filter((k) => p[k] !== undefined && p[k] !== null && p[k] !== '');
  return {
    title: p.site_nom ? `Friche ${escape(p.site_nom)}` : 'Friche',
    body: rows([
      [w.label('site_statut'), w.value('site_statut')],
      ...known.map((k) => [w.label(k), w.value(k)]),
    ]) + details(w, ['site_statut', 'site_nom', ...known]),
  };
}

function perimeter(p, w, title) {
  const programme = p.id_acv ? `Action Cœur de Ville (${escape(p.id_acv)})` : p.id_pvd ? `Petites villes de demain (${escape(p.id_pvd)})` : undefined;
  const main = ['date_signature', 'ort_signee', 'pmun22'];
  return {
    title: `${escape(p.nom ?? p.lib_com ?? '')} — ${escape(title)}`,
    body: rows([
      ['Programme', programme],
      ...main.filter((k) => w.keys().includes(k)).map((k) => [w.label(k), w.value(k)]),
    ]) + details(w, ['nom', 'id_acv', 'id_pvd', ...main]),
  };
}

/** A commune, EPCI or département: its name, then every property but the name. */
function territory(name, code, w, title, skip) {
  return {
    title: code ? `${escape(name)} (${escape(code)})` : escape(name),
    body: rows([['Couche', escape(title)], ...restRows(w, skip)]),
  };
}

/** Any other feature: named after its place when it has one ("Lens — Conventions ORT"). */
function generic(p, w, title) {
  const name = ['nom', 'lib_com', 'commune', 'LIBCOM'].map((k) => p[k]).find((v) => typeof v === 'string' && v);
  return { title: name ? `${escape(name)} — ${escape(title)}` : escape(title), body: rows(restRows(w, [])) };
}

/** The popup content for a rendered feature; `territory` is set when a sheet can open. */
export function describe(feature, layer) {
  const p = feature.properties;
  const w = wordsOf(layer, p);
  const title = layer?.title ?? feature.sourceLayer;
  const polygon = feature.geometry.type.endsWith('Polygon');
  // A name drawn on the map is a label point carrying the name alone: say what it names rather
  // than list every other property as missing.
  if (feature.layer?.type === 'symbol') {
    const name = Object.values(p).find((v) => typeof v === 'string') ?? title;
    return { title: escape(name), body: `<p>${escape(title)} — cliquez hors du nom pour en voir les données.</p>`, territory: null };
  }
  if (p.aggregated) return { ...cluster(p, w, title), territory: null };
  if (p.logements !== undefined && p.DEPCOM !== undefined) return { ...residence(p, w), territory: null };
  if (p.NB_LOGVAC !== undefined && p.DEPCOM !== undefined) return { ...vacancy(p, w), territory: null };
  if (p.site_statut !== undefined && p.site_id !== undefined) return { ...friche(p, w), territory: null };
  if (p.code !== undefined && (p.id_acv !== undefined || p.id_pvd !== undefined)) {
    return { ...perimeter(p, w, title), territory: { code: p.code, name: p.nom } };
  }
  if (p.code !== undefined && p.nom !== undefined && polygon) {
    return { ...territory(p.nom, p.code, w, title, ['nom']), territory: { code: p.code, name: p.nom } };
  }
  if (p.siren_epci !== undefined && p.nom !== undefined && polygon) {
    return { ...territory(p.nom, null, w, title, ['nom']), territory: { code: p.siren_epci, name: p.nom } };
  }
  if (p.dep !== undefined && p.nom !== undefined && polygon) {
    return { ...territory(p.nom, p.dep, w, title, ['nom']), territory: { code: p.dep, name: p.nom } };
  }
  return { ...generic(p, w, title), territory: null };
}
