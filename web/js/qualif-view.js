// What the qualification panel shows, as French words and HTML: campaign statuses, the scale,
// progress, the table's columns and sort, a residence's consolidated results (means, spread,
// désaccord, fragility, change since the previous campaign), the partners' notes, the history,
// the rating grid, and refusals. Pure functions over the API's JSON (see qualif.js), but for
// readForm/fillForm which read and fill a form; no module state.
import { NBSP, escape, isPlural, num, plural, date } from './format.js';

/** Campaign statuses in French. */
export const STATUS = { draft: 'brouillon', open: 'ouverte', closed: 'close', published: 'publiée' };
/** The scale of every criterion: 1 is bad, 5 is good. */
export const SCALE = ['Très défavorable', 'Défavorable', 'Moyen', 'Favorable', 'Très favorable'];
/** What the pilot may do from each status: [new status, button]. */
export const TRANSITIONS = {
  draft: [['open', 'Ouvrir']],
  open: [['closed', 'Clore']],
  closed: [['open', 'Rouvrir'], ['published', 'Publier']],
  published: [],
};
/** Progress of a residence on the map (`etat` of the tiles). */
export const ETAT = [
  ['a_noter', 'à noter', '#9e9e9e'],
  ['en_cours', 'en cours (une partie des partenaires)', '#f28e2b'],
  ['notee', 'notée par tous les partenaires', '#1a9850'],
];
/** Consolidated score (1 to 5) colours, red to green. */
export const SCORE_COLORS = [[1, '#d73027'], [2, '#fc8d59'], [3, '#fee08b'], [4, '#91cf60'], [5, '#1a9850']];
/** Points without a consolidated score; the ring of a disagreement. */
export const NO_SCORE = '#d9d9d9';
export const RING = '#7b2c9e';
/** A disagreement: two partners this many points apart on one criterion. */
export const DESACCORD = 2;
/** Rows listed in the table (the map and the exports hold every residence). */
export const LIST = 200;

/** A score's colour: the scale interpolated, grey without a score. */
export function scoreColor(v) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return NO_SCORE;
  const x = Math.min(5, Math.max(1, v));
  const i = Math.min(SCORE_COLORS.length - 2, Math.floor(x - 1));
  const [a, ca] = SCORE_COLORS[i];
  const [, cb] = SCORE_COLORS[i + 1];
  const t = x - a;
  const mix = (k) => Math.round(parseInt(ca.slice(k, k + 2), 16) * (1 - t) + parseInt(cb.slice(k, k + 2), 16) * t).toString(16).padStart(2, '0');
  return `#${mix(1)}${mix(3)}${mix(5)}`;
}

/** A signed change: "+0,4", "−1", "0". */
export const signed = (v) => (typeof v !== 'number' ? '—' : v > 0 ? `+${num(v)}` : v < 0 ? `−${num(-v)}` : '0');

/** An ISO timestamp in words: "12 mars 2026 à 10 h 05" (local time). */
export function when(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return date(iso);
  const day = date(`${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`);
  return `${day} à ${d.getHours()}${NBSP}h${NBSP}${String(d.getMinutes()).padStart(2, '0')}`;
}

/** The table's columns: key and header. */
export const COLUMNS = [
  ['address', 'Résidence'],
  ['commune_name', 'Commune'],
  ['landlord', 'Bailleur'],
  ['logements', 'Logements'],
  ['partners', 'Partenaires'],
  ['overall', 'Note'],
  ['spread', 'Écart'],
  ['desaccord', 'Désaccord'],
  ['fragilite', 'Fragilité'],
];

/** Residences sorted by one column; missing values last whatever the direction. */
export function sortResidences(rows, key, dir) {
  const sign = dir === 'desc' ? -1 : 1;
  const value = (r) => (key === 'desaccord' ? (r.desaccord ? 1 : 0) : r[key]);
  return [...rows].sort((a, b) => {
    const va = value(a);
    const vb = value(b);
    const ma = va === null || va === undefined || va === '';
    const mb = vb === null || vb === undefined || vb === '';
    if (ma || mb) return ma === mb ? 0 : ma ? 1 : -1;
    if (typeof va === 'number' && typeof vb === 'number') return sign * (va - vb);
    return sign * String(va).localeCompare(String(vb), 'fr', { numeric: true });
  });
}

/** A refusal in French: what failed, why by its status, and the server's reason (plain English). */
const REFUSED = {
  0: 'le serveur ne répond pas',
  400: 'demande refusée',
  401: 'vous n’êtes plus connecté (session expirée ?), reconnectez-vous',
  403: 'action non permise',
  404: 'introuvable',
  503: 'serveur occupé, réessayez dans un instant',
};
export function refusal(r, what) {
  const why = REFUSED[r.status] ?? `erreur ${r.status}`;
  const detail = r.status !== 0 && r.body?.description ? ` (${r.body.description})` : '';
  return `${what} : ${why}${detail}.`;
}

/** A residence's name: its address, else its id. */
export const address = (r) => r.address || r.id;

/** The partners' progress bars. */
export function progressHtml(c) {
  const p = c.progress;
  if (!p) return '';
  const total = p.residences ?? 0;
  const bar = (label, rated, cls = '') => `<div class="progress-row ${cls}"><span class="progress-label">${escape(label)}</span>`
    + `<progress max="${Math.max(total, 1)}" value="${rated ?? 0}" aria-label="${escape(label)} : ${rated ?? 0} sur ${total}"></progress>`
    + `<span class="progress-value">${num(rated ?? 0)}${NBSP}/${NBSP}${num(total)}</span></div>`;
  const complete = typeof p.complete === 'number' && p.rated > 0 ? `, dont ${num(p.complete)} par tous les partenaires` : '';
  return `<div class="progress"><div class="progress-title">${plural(p.rated ?? 0, 'résidence notée', 'résidences notées')} sur ${num(total)}${complete}</div>`
    + `${bar('Toutes', p.rated, 'all')}${(p.partners ?? []).map((x) => bar(x.name, x.rated)).join('')}</div>`;
}

/** How many partners rated a residence, in words. */
const ratedBy = (n) => (n === 0 ? 'aucun partenaire n’a encore noté' : plural(n, 'partenaire a noté', 'partenaires ont noté'));

/** Why the user cannot rate (or '' when they can). */
export function readOnlyReason(c, session) {
  if (c.you?.can_rate) return '';
  if (!session?.member) return 'Connectez-vous avec votre jeton personnel pour noter.';
  if (!c.you?.partner) return 'Votre organisation n’est pas partenaire de cette campagne : lecture seule.';
  if (c.status === 'draft') return 'La campagne n’est pas encore ouverte : lecture seule.';
  if (c.status !== 'open') return `La campagne est ${STATUS[c.status] ?? c.status} : les notes ne sont plus modifiables.`;
  return 'Lecture seule.';
}

/** A campaign's card: territory, status, dates, pilot, partners, progress, and the pilot's buttons
 * (`data-status` the status each one sets). */
export function campaignHtml(c) {
  const t = c.territory ?? {};
  const dates = c.opens || c.closes
    ? [c.opens ? `du ${date(c.opens)}` : '', c.closes ? `au ${date(c.closes)}` : ''].filter(Boolean).join(' ')
    : 'non fixées';
  const partners = (c.partners ?? []).map((p) => escape(p.name)).join(', ') || '—';
  const manage = c.you?.can_manage ? (TRANSITIONS[c.status] ?? []) : [];
  return `<dl class="campaign">
      <dt>Territoire</dt><dd>${escape(t.name ?? t.code ?? '')}${t.code && t.name ? ` <small>(${escape(t.code)})</small>` : ''}${t.communes?.length ? ` — ${plural(t.communes.length, 'commune', 'communes')}` : ''}</dd>
      <dt>Statut</dt><dd><span class="status status-${escape(c.status)}">${escape(STATUS[c.status] ?? c.status)}</span></dd>
      <dt>Dates</dt><dd>${dates}</dd>
      <dt>Pilote</dt><dd>${escape(c.pilot?.name ?? '—')}</dd>
      <dt>Partenaires</dt><dd>${partners}</dd>
    </dl>
    ${progressHtml(c)}
    ${manage.length ? `<div class="manage" role="group" aria-label="Piloter la campagne">${manage.map(([st, label]) => `<button type="button" data-status="${st}">${label}</button>`).join('')}</div>` : ''}
    <p class="manage-error error" role="alert"></p>`;
}

/** The table's header: a sort button per column, the sorted one marked (`aria-sort`, an arrow). */
export function tableHeadHtml(sort) {
  return COLUMNS.map(([key, label]) => {
    const active = sort.key === key;
    const aria = active ? ` aria-sort="${sort.dir === 'asc' ? 'ascending' : 'descending'}"` : '';
    const arrow = active ? (sort.dir === 'asc' ? ' ↑' : ' ↓') : '';
    return `<th scope="col"${aria}><button type="button" data-sort="${key}">${label}<span aria-hidden="true">${arrow}</span></button></th>`;
  }).join('');
}

/** A residence's row (its cells, in the order of COLUMNS). */
export function rowHtml(r) {
  const flag = r.desaccord === true ? '<span class="flag">désaccord</span>' : r.desaccord === false ? '' : '—';
  return `<td><button type="button" class="open-residence">${escape(address(r))}</button>${r.mine ? ' <span class="mine" title="Notée par votre organisation" aria-label="notée par votre organisation">✓</span>' : ''}</td>`
    + `<td>${escape(r.commune_name ?? r.commune ?? '')}</td><td>${escape(r.landlord ?? '')}</td>`
    + `<td class="n">${num(r.logements)}</td><td class="n">${num(r.partners)}</td>`
    + `<td class="n">${typeof r.overall === 'number' ? `<span class="dot" style="background:${scoreColor(r.overall)}"></span>` : ''}${num(r.overall)}</td>`
    + `<td class="n">${num(r.spread)}</td><td>${flag}</td><td class="n">${num(r.fragilite)}</td>`;
}

/** "N affichées sur M résidences", or why there is none. */
export function countText(total, shown, filtered) {
  if (total === 0) return filtered ? 'Aucune résidence ne correspond à ce filtre.' : 'Aucune résidence dans ce territoire.';
  if (total > shown) return `${num(shown)} affichée${isPlural(shown) ? 's' : ''} sur ${plural(total, 'résidence', 'résidences')}`;
  return plural(total, 'résidence', 'résidences');
}

/** A residence's sheet: where it is, its consolidated results, the partners' notes, the rating
 * form (read-only with a `reason`), the history. */
export function residenceHtml(res, { campaign, scale, reason }) {
  const criteria = campaign.criteria ?? [];
  const where = [res.commune_name ? `${res.commune_name} (${res.commune})` : res.commune, res.landlord,
    typeof res.logements === 'number' ? plural(res.logements, 'logement', 'logements') : '']
    .filter(Boolean).map(escape).join(' — ');
  return `<div class="residence-sheet">
    <p class="kind">Résidence — ${escape(campaign.name)}</p>
    <h3>${escape(address(res))}</h3>
    <p>${where}</p>
    ${consolidatedHtml(res, campaign)}
    ${notesHtml(res, criteria)}
    ${formHtml(res, { criteria, scale, reason })}
    ${historyHtml(res, criteria)}
    <p class="hint">Identifiant : ${escape(res.id)}</p>
  </div>`;
}

/** What a conflict says: who saved meanwhile, when, their revision and comment. */
export function conflictHtml(theirs) {
  const who = [theirs.by ? escape(theirs.by) : '', theirs.updated_at ? when(theirs.updated_at) : '', `révision ${num(theirs.revision)}`].filter(Boolean).join(', ');
  return `<p><strong>Quelqu’un d’autre a modifié cette note entre-temps</strong> (${who}). Votre saisie n’est pas enregistrée : leurs notes sont indiquées sous chaque critère.</p>`
    + `${theirs.comment ? `<p>Leur commentaire : « ${escape(theirs.comment)} »</p>` : ''}`
    + '<div class="conflict-actions"><button type="button" class="take-theirs">Reprendre leur version</button> <button type="button" class="keep-mine">Garder ma saisie</button></div>';
}

/** Their score of one criterion, under ours, with a button to take it when they differ. */
export function theirsHtml(v, differs, scale) {
  return `Leur note : <strong>${v}</strong> (${escape(scale[v - 1]?.toLowerCase() ?? '')})${differs ? ` <button type="button" class="take" data-value="${v}">Reprendre ${v}</button>` : ''}`;
}

/** A residence's consolidated results, or why they are not shown yet. */
export function consolidatedHtml(r, campaign) {
  const parts = [];
  // A partner sees the consolidation from the campaign's closing on (the pilot always).
  if ((r.you ?? campaign.you)?.sees_consolidation === false) {
    parts.push(`<p class="overall"><span class="overall-big none">—</span> note consolidée, écarts et désaccords visibles une fois la campagne close${typeof r.partners === 'number' ? ` · ${ratedBy(r.partners)}` : ''}</p>`);
    parts.push(`<p class="fragility">Indice de fragilité : <strong>${num(r.fragilite)}</strong>${typeof r.fragilite === 'number' ? ' sur 100' : ''}</p>`);
    return `<div class="consolidated">${parts.join('')}</div>`;
  }
  const overall = typeof r.overall === 'number'
    ? `<span class="overall-big" style="background:${scoreColor(r.overall)}">${num(r.overall)}</span> sur 5`
    : '<span class="overall-big none">—</span> pas encore de note consolidée';
  parts.push(`<p class="overall">${overall}${typeof r.partners === 'number' ? ` · ${ratedBy(r.partners)}` : ''}</p>`);
  const spread = typeof r.spread === 'number' ? `Écart maximal entre partenaires : ${plural(r.spread, 'point', 'points')}` : 'Écart entre partenaires : —';
  parts.push(`<p class="spread">${spread}${r.desaccord ? ` <span class="flag" title="Deux partenaires à ${DESACCORD} points ou plus sur un critère">désaccord</span>` : ''}</p>`);
  parts.push(`<p class="fragility">Indice de fragilité : <strong>${num(r.fragilite)}</strong>${typeof r.fragilite === 'number' ? ' sur 100' : ''}</p>`);
  if (typeof r.change === 'number' || typeof r.previous_overall === 'number') {
    parts.push(`<p class="change">Depuis la campagne précédente : <strong>${signed(r.change)}</strong>${typeof r.previous_overall === 'number' ? ` (${num(r.previous_overall)} → ${num(r.overall)})` : ''}</p>`);
  }
  return `<div class="consolidated">${parts.join('')}</div>`;
}

/** Means and, when the caller sees them, each partner's notes: one row per criterion. */
export function notesHtml(r, criteria) {
  const ratings = r.ratings ?? [];
  const hasMeans = r.means && Object.values(r.means).some((v) => v !== null && v !== undefined);
  if (!hasMeans && !ratings.length) return '';
  const cols = ratings.map((x) => `<th scope="col">${escape(x.org_name ?? x.org)}</th>`).join('');
  const rows = criteria.map((c) => {
    const mean = r.means?.[c.id];
    const cells = ratings.map((x) => `<td class="n">${num(x.scores?.[c.id])}</td>`).join('');
    return `<tr><th scope="row">${escape(c.label)}</th><td class="n"><strong>${num(mean)}</strong></td>${cells}</tr>`;
  }).join('');
  const comments = ratings.filter((x) => x.comment).map((x) => `<li><strong>${escape(x.org_name ?? x.org)}</strong>${x.by ? ` (${escape(x.by)}${x.updated_at ? `, ${when(x.updated_at)}` : ''})` : ''} : ${escape(x.comment)}</li>`).join('');
  return `<h4>Notes des partenaires</h4><div class="table-scroll"><table class="notes"><thead><tr><th scope="col">Critère</th><th scope="col">Moyenne</th>${cols}</tr></thead><tbody>${rows}</tbody></table></div>`
    + (comments ? `<h4>Commentaires</h4><ul class="comments">${comments}</ul>` : '');
}

/** The revisions of the ratings the caller may see. */
export function historyHtml(r, criteria) {
  const h = r.history ?? [];
  if (!h.length) return '';
  return `<details class="history"><summary>Historique (${plural(h.length, 'version', 'versions')})</summary><ol>${h.map((x) => `<li>Révision ${num(x.revision)} — ${escape(x.org_name ?? x.org ?? '')}${x.by ? `, ${escape(x.by)}` : ''}, ${when(x.at)} : ${criteria.map((c) => `${escape(c.label)} ${num(x.scores?.[c.id])}`).join(' · ')}${x.comment ? ` — « ${escape(x.comment)} »` : ''}</li>`).join('')}</ol></details>`;
}

/** The rating form: one row of five choices per criterion, a comment; read-only (`reason`) when the
 * caller cannot rate. */
export function formHtml(r, { criteria, scale, reason }) {
  const mine = r.mine;
  const grid = criteria.map((c) => `<fieldset class="criterion" data-criterion="${escape(c.id)}"><legend>${escape(c.label)}</legend><div class="choices">${scale.map((word, i) => {
    const v = i + 1;
    const checked = mine?.scores?.[c.id] === v ? ' checked' : '';
    return `<label class="choice"><input type="radio" name="crit-${escape(c.id)}" value="${v}"${checked}><span class="v">${v}</span><span class="w">${escape(word)}</span></label>`;
  }).join('')}</div><div class="theirs" hidden></div></fieldset>`).join('');
  const state = mine
    ? `Note de votre organisation : révision ${num(mine.revision)}${mine.by ? `, par ${escape(mine.by)}` : ''}${mine.updated_at ? `, ${when(mine.updated_at)}` : ''}.`
    : (reason ? '' : 'Votre organisation n’a pas encore noté cette résidence.');
  return `<form class="rating" novalidate>
    <h4>${reason ? 'Note de votre organisation' : 'Votre note'}</h4>
    ${reason ? `<p class="readonly">${escape(reason)}</p>` : ''}
    <p class="hint">${state}</p>
    <p class="scale-legend">De 1 (${scale[0].toLowerCase()}) à 5 (${scale[4].toLowerCase()}).</p>
    <fieldset class="grid"${reason ? ' disabled' : ''}>
      <legend class="visually-hidden">Grille de qualification</legend>
      ${grid}
      <label for="qualif-comment">Commentaire (facultatif)</label>
      <textarea id="qualif-comment" rows="3" maxlength="2000">${escape(mine?.comment ?? '')}</textarea>
    </fieldset>
    ${reason ? '' : '<button type="submit" class="save">Enregistrer</button>'}
    <p class="save-status" role="status"></p>
    <div class="conflict" role="alert" hidden></div>
  </form>`;
}

/** The grid as the API takes it. */
export function readForm(form, criteria) {
  const scores = {};
  for (const c of criteria) {
    const checked = form.querySelector(`input[name="crit-${CSS.escape(c.id)}"]:checked`);
    if (checked) scores[c.id] = Number(checked.value);
  }
  return { scores, comment: form.querySelector('#qualif-comment').value.trim() };
}

/** Fills the form with a rating (their version, after a conflict). */
export function fillForm(form, criteria, rating) {
  for (const c of criteria) {
    const v = rating?.scores?.[c.id];
    for (const input of form.querySelectorAll(`input[name="crit-${CSS.escape(c.id)}"]`)) input.checked = Number(input.value) === v;
  }
  form.querySelector('#qualif-comment').value = rating?.comment ?? '';
}

