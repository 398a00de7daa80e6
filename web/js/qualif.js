// "Qualification du parc": the partners of a campaign (landlords, communes, the EPCI, the State,
// associations) rate every social residence of its territory on a grid of criteria, 1 to 5,
// together. The panel signs a member in with a personal token (a session cookie afterwards), picks
// a campaign (status, dates, progress; the pilot opens, closes and publishes it), draws its
// residences from the campaign's tiles (coloured by progress or by consolidated score,
// disagreements ringed), lists them in a sortable table narrowed by filters, exports them, and
// opens a residence's rating form: the grid, a comment, saved against the revision loaded — a stale
// save is a conflict, shown beside the user's own notes to reload or merge.
// API: /api/session, /api/campaigns (see the README, "Qualification du parc").
import { NBSP, escape, isPlural, num, plural, date } from './format.js';
import { isVisible, setVisible } from './panel.js';

/** Campaign statuses in French. */
export const STATUS = { draft: 'brouillon', open: 'ouverte', closed: 'close', published: 'publiée' };
/** The scale of every criterion: 1 is bad, 5 is good. */
export const SCALE = ['Très défavorable', 'Défavorable', 'Moyen', 'Favorable', 'Très favorable'];
/** What the pilot may do from each status: [new status, button]. */
const TRANSITIONS = {
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
const NO_SCORE = '#d9d9d9';
const RING = '#7b2c9e';
/** A disagreement: two partners this many points apart on one criterion. */
const DESACCORD = 2;
/** Rows listed in the table (the map and the exports hold every residence). */
const LIST = 200;

const SOURCE = 'qualif';
const LAYER = 'qualif-residences';
const RING_LAYER = 'qualif-desaccord';
const SELECTED_LAYER = 'qualif-selected';

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

/** The table's columns: key, header, cell (HTML), whether numbers sort first from the lowest. */
const COLUMNS = [
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

/** Calls the API: JSON in and out; never throws (status 0 when the server cannot be reached). */
async function api(path, { method = 'GET', body, headers = {} } = {}) {
  const init = { method, headers: { accept: 'application/json', ...headers }, credentials: 'same-origin' };
  // A write authenticated by the cookie must say it is JSON (the server refuses forms).
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  try {
    const res = await fetch(path, init);
    const text = await res.text();
    let data = {};
    try { data = text ? JSON.parse(text) : {}; } catch { data = {}; }
    return { ok: res.ok, status: res.status, body: data, headers: res.headers };
  } catch {
    return { ok: false, status: 0, body: { description: 'Le serveur ne répond pas.' }, headers: new Headers() };
  }
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

const orgName = (o) => (o ? `${o.name}` : '');
const address = (r) => r.address || r.id;

/** The partners' progress bars. */
function progressHtml(c) {
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
function readOnlyReason(c, session) {
  if (c.you?.can_rate) return '';
  if (!session?.member) return 'Connectez-vous avec votre jeton personnel pour noter.';
  if (!c.you?.partner) return 'Votre organisation n’est pas partenaire de cette campagne : lecture seule.';
  if (c.status === 'draft') return 'La campagne n’est pas encore ouverte : lecture seule.';
  if (c.status !== 'open') return `La campagne est ${STATUS[c.status] ?? c.status} : les notes ne sont plus modifiables.`;
  return 'Lecture seule.';
}

/**
 * Wires the panel (`#qualif` of index.html) to the map. `layers` are those of GET /layers (the
 * residence layers are hidden while a campaign is drawn, then shown again; `onLayers` runs after);
 * `onChange(id)` when the campaign changes (null: none); `small` the phone media query.
 */
export function setupQualif(map, panel, { layers = [], small, onChange, onLayers } = {}) {
  const $ = (sel) => panel.querySelector(sel);
  const signin = $('#qualif-signin');
  const tokenInput = $('#qualif-token');
  const who = $('#qualif-who');
  const sessionError = $('#qualif-session-error');
  const select = $('#qualif-campaign');
  const info = $('#qualif-campaign-info');
  const listSection = $('#qualif-list');
  const main = $('#qualif-main');
  const sheet = $('#qualif-residence');
  const table = $('#qualif-table');
  const count = $('#qualif-count');
  const legend = $('#qualif-legend');

  let session = { member: null, org: null };
  let campaigns = [];
  let campaign = null;
  let residences = [];
  let sort = { key: 'overall', dir: 'asc' };
  let mode = 'etat';
  /** The words of the scale, 1 to 5 (the server's when it gives them). */
  let scale = SCALE;
  let tilesVersion = 0;
  /** The residence open in the form: its id, what was loaded, the revision saves are made against. */
  let open = null;
  /** A campaign of the link not visible before signing in. */
  let pending = null;

  /** The panel is `aria-busy` while work started by the user runs (a sign-in, a campaign, a
   * filter, a save and what follows): assistive technologies wait, and so do the tests. */
  let working = 0;
  async function busy(work) {
    working += 1;
    panel.setAttribute('aria-busy', 'true');
    try {
      return await work();
    } finally {
      working -= 1;
      if (!working) panel.removeAttribute('aria-busy');
    }
  }

  // ---- Session ---------------------------------------------------------------------------
  function renderSession() {
    const signedIn = Boolean(session.member);
    signin.hidden = signedIn;
    // "Rated by my organisation" means nothing without one.
    const mineFilter = panel.querySelector('input[name=qualif-filter][value=mon_org]');
    mineFilter.closest('label').hidden = !signedIn;
    if (!signedIn && mineFilter.checked) panel.querySelector('input[name=qualif-filter][value=""]').checked = true;
    who.hidden = !signedIn;
    $('#qualif-who-name').textContent = signedIn ? `Connecté : ${session.member.name} (${orgName(session.org)})` : '';
  }

  async function loadSession() {
    const r = await api('api/session');
    session = r.ok && r.body.member ? { member: r.body.member, org: r.body.org } : { member: null, org: null };
    renderSession();
  }

  signin.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(signIn);
  });
  async function signIn() {
    sessionError.textContent = '';
    const token = tokenInput.value.trim();
    if (!token) { sessionError.textContent = 'Collez votre jeton personnel.'; return; }
    const r = await api('api/session', { method: 'POST', body: { token } });
    if (!r.ok) {
      sessionError.textContent = r.status === 401 ? 'Jeton inconnu ou révoqué : vérifiez-le auprès du pilote de la campagne.' : refusal(r, 'La connexion a échoué');
      tokenInput.focus();
      return;
    }
    tokenInput.value = '';
    session = { member: r.body.member, org: r.body.org };
    renderSession();
    await afterSessionChange();
    $('#qualif-signout').focus();
  }

  $('#qualif-signout').addEventListener('click', () => busy(async () => {
    sessionError.textContent = '';
    const r = await api('api/session', { method: 'DELETE' });
    if (!r.ok && r.status !== 204) { sessionError.textContent = refusal(r, 'La déconnexion a échoué'); return; }
    session = { member: null, org: null };
    renderSession();
    await afterSessionChange();
    tokenInput.focus();
  }));

  /** Another person: campaigns, rights and the open residence are read again. */
  async function afterSessionChange() {
    const keep = campaign?.id ?? pending;
    const rid = open?.rid;
    await loadCampaigns();
    if (keep !== undefined && keep !== null && campaigns.some((c) => c.id === keep)) {
      await pick(keep, { fit: false });
      if (rid) await openResidence(rid);
    } else {
      await pick(null);
      // Out of sight for this person (an unpublished campaign, signed out): back when someone who
      // may see it signs in.
      pending = keep ?? null;
    }
  }

  // ---- Campaigns -------------------------------------------------------------------------
  async function loadCampaigns() {
    const r = await api('api/campaigns');
    campaigns = r.ok ? r.body.campaigns ?? [] : [];
    select.replaceChildren();
    const none = document.createElement('option');
    none.value = '';
    none.textContent = campaigns.length ? 'Choisissez une campagne…' : session.member ? 'Aucune campagne pour votre organisation' : 'Aucune campagne publiée';
    select.append(none);
    for (const c of campaigns) {
      const o = document.createElement('option');
      o.value = String(c.id);
      o.textContent = `${c.name} — ${STATUS[c.status] ?? c.status}`;
      select.append(o);
    }
    select.value = campaign && campaigns.some((c) => c.id === campaign.id) ? String(campaign.id) : '';
  }

  select.addEventListener('change', () => busy(() => pick(select.value ? Number(select.value) : null)));

  function renderInfo() {
    const c = campaign;
    if (!c) { info.replaceChildren(); return; }
    const t = c.territory ?? {};
    const dates = c.opens || c.closes
      ? [c.opens ? `du ${date(c.opens)}` : '', c.closes ? `au ${date(c.closes)}` : ''].filter(Boolean).join(' ')
      : 'non fixées';
    const partners = (c.partners ?? []).map((p) => escape(p.name)).join(', ') || '—';
    const manage = c.you?.can_manage ? (TRANSITIONS[c.status] ?? []) : [];
    info.innerHTML = `<dl class="campaign">
        <dt>Territoire</dt><dd>${escape(t.name ?? t.code ?? '')}${t.code && t.name ? ` <small>(${escape(t.code)})</small>` : ''}${t.communes?.length ? ` — ${plural(t.communes.length, 'commune', 'communes')}` : ''}</dd>
        <dt>Statut</dt><dd><span class="status status-${escape(c.status)}">${escape(STATUS[c.status] ?? c.status)}</span></dd>
        <dt>Dates</dt><dd>${dates}</dd>
        <dt>Pilote</dt><dd>${escape(c.pilot?.name ?? '—')}</dd>
        <dt>Partenaires</dt><dd>${partners}</dd>
      </dl>
      ${progressHtml(c)}
      ${manage.length ? `<div class="manage" role="group" aria-label="Piloter la campagne">${manage.map(([s, label]) => `<button type="button" data-status="${s}">${label}</button>`).join('')}</div>` : ''}
      <p class="manage-error error" role="alert"></p>`;
    for (const b of info.querySelectorAll('.manage button')) b.addEventListener('click', () => busy(() => setStatus(b.dataset.status)));
  }

  async function setStatus(status) {
    const r = await api(`api/campaigns/${campaign.id}`, { method: 'PATCH', body: { status } });
    if (!r.ok) {
      info.querySelector('.manage-error').textContent = refusal(r, 'Le statut n’a pas pu être changé');
      if (r.status === 401) await loadSession();
      return;
    }
    // The answer has no progress: the campaign is read again with it.
    const fresh = await api(`api/campaigns/${campaign.id}`);
    campaign = fresh.ok ? fresh.body : r.body;
    await loadCampaigns();
    renderInfo();
    await loadResidences();
    refreshTiles();
    info.querySelector('.manage button')?.focus();
  }

  /** Opens a campaign (null: none); `fit` moves the map to its territory. */
  let picks = 0;
  async function pick(id, { fit = true } = {}) {
    // Only the latest pick goes on (the arrows of the menu pick one campaign after another).
    const mine = ++picks;
    open = null;
    sheet.hidden = true;
    main.hidden = false;
    if (id === null || id === undefined) {
      campaign = null;
      pending = null;
      select.value = '';
      renderInfo();
      listSection.hidden = true;
      residences = [];
      removeLayers();
      onChange?.(null);
      return;
    }
    const r = await api(`api/campaigns/${id}`);
    if (mine !== picks) return;
    if (!r.ok) {
      campaign = null;
      select.value = '';
      info.innerHTML = `<p class="error" role="alert">${escape(r.status === 404 ? 'Cette campagne n’existe pas ou ne vous est pas visible (connectez-vous).' : refusal(r, 'Campagne indisponible'))}</p>`;
      listSection.hidden = true;
      removeLayers();
      onChange?.(null);
      return;
    }
    campaign = r.body;
    pending = null;
    if (!campaigns.some((c) => c.id === campaign.id)) await loadCampaigns();
    if (mine !== picks) return;
    select.value = String(campaign.id);
    onChange?.(campaign.id);
    renderInfo();
    listSection.hidden = false;
    addLayers();
    await loadResidences();
    if (fit && mine === picks) fitTerritory();
  }

  /** The map flies to a residence, shown in the middle of what the drawers leave of the map: above
   * the bottom drawer on a phone, between the side panels on a wider screen. */
  function flyTo(lon, lat) {
    const area = map.getContainer().getBoundingClientRect();
    const box = panel.getBoundingClientRect();
    const offset = small?.matches
      ? [0, Math.round((box.top - area.top) / 2 - area.height / 2)]
      : [Math.round((covered(document.getElementById('panel')) + box.left - area.left) / 2 - area.width / 2), 0];
    map.flyTo({ center: [lon, lat], zoom: Math.max(map.getZoom(), 15), offset });
  }

  /** The width a side drawer takes from the map (0 when closed). */
  const covered = (drawer) => (drawer && !drawer.hidden ? Math.round(drawer.getBoundingClientRect().width) : 0);

  /** The map moves to the campaign's territory (its bbox from the search, else its residences). */
  async function fitTerritory() {
    const t = campaign?.territory ?? {};
    let bbox = null;
    if (t.code) {
      const r = await api(`api/search?q=${encodeURIComponent(t.code)}&limit=1`);
      const hit = r.ok ? r.body.results?.[0] : null;
      if (hit?.code === t.code && hit.bbox) bbox = hit.bbox;
    }
    if (!bbox) {
      const pts = residences.filter((x) => Number.isFinite(x.lon) && Number.isFinite(x.lat));
      if (!pts.length) return;
      bbox = [Math.min(...pts.map((x) => x.lon)), Math.min(...pts.map((x) => x.lat)), Math.max(...pts.map((x) => x.lon)), Math.max(...pts.map((x) => x.lat))];
    }
    // On a phone the drawer covers the bottom of the map: the territory fits above it.
    const padding = small?.matches ? { top: 20, left: 20, right: 20, bottom: Math.round(window.innerHeight * 0.6) }
      : { top: 40, bottom: 40, left: 40 + covered(document.getElementById('panel')), right: 40 + covered(panel) };
    map.fitBounds([[bbox[0], bbox[1]], [bbox[2], bbox[3]]], { padding, maxZoom: 14, duration: 800 });
  }

  // ---- Map -------------------------------------------------------------------------------
  const tileUrl = () => `${new URL(`api/campaigns/${campaign.id}/tiles/{z}/{x}/{y}.mvt`, window.location.href).href.replace(/%7B/g, '{').replace(/%7D/g, '}')}${tilesVersion ? `?v=${tilesVersion}` : ''}`;
  const colorExpression = () => (mode === 'score'
    ? ['case', ['==', ['typeof', ['get', 'overall']], 'number'], ['interpolate', ['linear'], ['get', 'overall'], ...SCORE_COLORS.flat()], NO_SCORE]
    : ['match', ['get', 'etat'], ...ETAT.flatMap(([v, , c]) => [v, c]), NO_SCORE]);
  const radius = (extra) => ['interpolate', ['linear'], ['zoom'], 8, 2.5 + extra, 12, 5 + extra, 16, 9 + extra];

  /** The residence layers (fragility colours) hidden under the campaign's, and shown again after. */
  let hiddenLayers = [];
  function hideResidenceLayers() {
    if (hiddenLayers.length) return;
    hiddenLayers = layers.filter((l) => l.role === 'residences' && isVisible(map, l.id)).map((l) => l.id);
    for (const id of hiddenLayers) setVisible(map, id, false);
    if (hiddenLayers.length) onLayers?.();
  }
  function showResidenceLayers() {
    if (!hiddenLayers.length) return;
    for (const id of hiddenLayers) setVisible(map, id, true);
    hiddenLayers = [];
    onLayers?.();
  }

  function addLayers() {
    removeLayers();
    hideResidenceLayers();
    // The tiles depend on who asks: a new URL, so that no tile fetched for someone else is reused.
    tilesVersion += 1;
    map.addSource(SOURCE, { type: 'vector', tiles: [tileUrl()], maxzoom: 14 });
    map.addLayer({ id: LAYER, type: 'circle', source: SOURCE, 'source-layer': 'residences',
      paint: { 'circle-radius': radius(0), 'circle-color': colorExpression(), 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 1 } });
    map.addLayer({ id: RING_LAYER, type: 'circle', source: SOURCE, 'source-layer': 'residences', filter: ['==', ['get', 'desaccord'], true],
      paint: { 'circle-radius': radius(3.5), 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': RING, 'circle-stroke-width': 2.5 } });
    map.addLayer({ id: SELECTED_LAYER, type: 'circle', source: SOURCE, 'source-layer': 'residences', filter: ['==', ['get', 'id'], open?.rid ?? ''],
      paint: { 'circle-radius': radius(6), 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': '#1e1e1e', 'circle-stroke-width': 3 } });
    renderLegend();
  }

  function removeLayers() {
    for (const id of [SELECTED_LAYER, RING_LAYER, LAYER]) if (map.getLayer(id)) map.removeLayer(id);
    if (map.getSource(SOURCE)) map.removeSource(SOURCE);
    showResidenceLayers();
  }

  /** Tiles drawn again after a change (a rating, a status): a new URL passes every cache. */
  function refreshTiles() {
    const source = map.getSource(SOURCE);
    if (!source || !campaign) return;
    tilesVersion += 1;
    source.setTiles([tileUrl()]);
  }

  function highlight() {
    if (map.getLayer(SELECTED_LAYER)) map.setFilter(SELECTED_LAYER, ['==', ['get', 'id'], open?.rid ?? '']);
  }

  function renderLegend() {
    const rows = mode === 'score'
      ? [...SCORE_COLORS.map(([v, c]) => [c, `${v}${v === 1 ? ` ${scale[0].toLowerCase()}` : v === 5 ? ` ${scale[4].toLowerCase()}` : ''}`]), [NO_SCORE, 'pas encore de note consolidée']]
      : ETAT.map(([, label, c]) => [c, label]);
    legend.innerHTML = `${rows.map(([c, label]) => `<span class="row"><span class="swatch point" style="background:${c}"></span>${escape(label)}</span>`).join('')}`
      + `<span class="row"><span class="swatch point ring" style="border:2.5px solid ${RING}"></span>désaccord (écart de ${DESACCORD} points ou plus)</span>`
      + (hiddenLayers.length ? '<span class="hint">Les couleurs de fragilité du parc social sont masquées le temps de la qualification ; l’indice de chaque résidence est dans sa fiche.</span>' : '');
  }

  for (const radio of panel.querySelectorAll('input[name=qualif-mode]')) {
    radio.addEventListener('change', () => {
      mode = radio.value;
      if (map.getLayer(LAYER)) map.setPaintProperty(LAYER, 'circle-color', colorExpression());
      renderLegend();
    });
  }
  map.on('mouseenter', LAYER, () => { map.getCanvas().style.cursor = 'pointer'; });
  map.on('mouseleave', LAYER, () => { map.getCanvas().style.cursor = ''; });

  // ---- Table -----------------------------------------------------------------------------
  /** The filter (one at a time, as the API takes it): '', desaccord, a_noter or mon_org. */
  const filter = () => panel.querySelector('input[name=qualif-filter]:checked')?.value ?? '';
  const residencesPath = (extra = {}) => {
    const p = new URLSearchParams(extra);
    if (filter()) p.set('filter', filter());
    const q = p.toString();
    return `api/campaigns/${campaign.id}/residences${q ? `?${q}` : ''}`;
  };
  $('#qualif-filters').addEventListener('change', () => busy(loadResidences));

  let requests = 0;
  async function loadResidences() {
    if (!campaign) return;
    for (const f of ['xlsx', 'csv', 'gpkg']) $(`#qualif-export-${f}`).href = residencesPath({ f });
    const mine = ++requests;
    count.textContent = 'Chargement des résidences…';
    delete count.dataset.total;
    const r = await api(residencesPath());
    if (mine !== requests) return;
    if (!r.ok) {
      residences = [];
      count.textContent = refusal(r, 'Les résidences n’ont pas pu être chargées');
      renderTable();
      return;
    }
    residences = r.body.residences ?? [];
    if (Array.isArray(r.body.scale) && r.body.scale.length === 5) scale = r.body.scale;
    renderTable();
  }

  function renderTable() {
    const rows = sortResidences(residences, sort.key, sort.dir);
    const shown = rows.slice(0, LIST);
    const head = table.querySelector('thead tr');
    head.innerHTML = COLUMNS.map(([key, label]) => {
      const active = sort.key === key;
      const aria = active ? ` aria-sort="${sort.dir === 'asc' ? 'ascending' : 'descending'}"` : '';
      const arrow = active ? (sort.dir === 'asc' ? ' ↑' : ' ↓') : '';
      return `<th scope="col"${aria}><button type="button" data-sort="${key}">${label}<span aria-hidden="true">${arrow}</span></button></th>`;
    }).join('');
    for (const b of head.querySelectorAll('button')) {
      b.addEventListener('click', () => {
        const key = b.dataset.sort;
        sort = { key, dir: sort.key === key && sort.dir === 'asc' ? 'desc' : 'asc' };
        renderTable();
        table.querySelector(`thead button[data-sort="${key}"]`).focus();
      });
    }
    const body = table.querySelector('tbody');
    body.replaceChildren(...shown.map((r) => {
      const tr = document.createElement('tr');
      tr.dataset.rid = r.id;
      if (r.desaccord) tr.classList.add('desaccord');
      tr.innerHTML = `<td><button type="button" class="open-residence">${escape(address(r))}</button>${r.mine ? ' <span class="mine" title="Notée par votre organisation" aria-label="notée par votre organisation">✓</span>' : ''}</td>`
        + `<td>${escape(r.commune_name ?? r.commune ?? '')}</td><td>${escape(r.landlord ?? '')}</td>`
        + `<td class="n">${num(r.logements)}</td><td class="n">${num(r.partners)}</td>`
        + `<td class="n">${typeof r.overall === 'number' ? `<span class="dot" style="background:${scoreColor(r.overall)}"></span>` : ''}${num(r.overall)}</td>`
        + `<td class="n">${num(r.spread)}</td><td>${r.desaccord === true ? '<span class="flag">désaccord</span>' : r.desaccord === false ? '' : '—'}</td><td class="n">${num(r.fragilite)}</td>`;
      const go = () => busy(() => openResidence(r.id, { fly: true }));
      tr.querySelector('button').addEventListener('click', go);
      tr.addEventListener('click', (e) => { if (!e.target.closest('button')) go(); });
      return tr;
    }));
    const n = residences.length;
    count.dataset.total = String(n);
    count.textContent = n === 0
      ? (filter() ? 'Aucune résidence ne correspond à ce filtre.' : 'Aucune résidence dans ce territoire.')
      : n > shown.length
        ? `${num(shown.length)} affichée${isPlural(shown.length) ? 's' : ''} sur ${plural(n, 'résidence', 'résidences')}`
        : plural(n, 'résidence', 'résidences');
  }

  // ---- A residence: consolidated results and the rating form --------------------------------
  const criteria = () => campaign?.criteria ?? [];
  const criterionLabel = (id) => criteria().find((c) => c.id === id)?.label ?? id;

  function consolidatedHtml(r) {
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
  function notesTable(r) {
    const ratings = r.ratings ?? [];
    const hasMeans = r.means && Object.values(r.means).some((v) => v !== null && v !== undefined);
    if (!hasMeans && !ratings.length) return '';
    const cols = ratings.map((x) => `<th scope="col">${escape(x.org_name ?? x.org)}</th>`).join('');
    const rows = criteria().map((c) => {
      const mean = r.means?.[c.id];
      const cells = ratings.map((x) => `<td class="n">${num(x.scores?.[c.id])}</td>`).join('');
      return `<tr><th scope="row">${escape(c.label)}</th><td class="n"><strong>${num(mean)}</strong></td>${cells}</tr>`;
    }).join('');
    const comments = ratings.filter((x) => x.comment).map((x) => `<li><strong>${escape(x.org_name ?? x.org)}</strong>${x.by ? ` (${escape(x.by)}${x.updated_at ? `, ${when(x.updated_at)}` : ''})` : ''} : ${escape(x.comment)}</li>`).join('');
    return `<h4>Notes des partenaires</h4><div class="table-scroll"><table class="notes"><thead><tr><th scope="col">Critère</th><th scope="col">Moyenne</th>${cols}</tr></thead><tbody>${rows}</tbody></table></div>`
      + (comments ? `<h4>Commentaires</h4><ul class="comments">${comments}</ul>` : '');
  }

  function historyHtml(r) {
    const h = r.history ?? [];
    if (!h.length) return '';
    return `<details class="history"><summary>Historique (${plural(h.length, 'version', 'versions')})</summary><ol>${h.map((x) => `<li>Révision ${num(x.revision)} — ${escape(x.org_name ?? x.org ?? '')}${x.by ? `, ${escape(x.by)}` : ''}, ${when(x.at)} : ${criteria().map((c) => `${escape(c.label)} ${num(x.scores?.[c.id])}`).join(' · ')}${x.comment ? ` — « ${escape(x.comment)} »` : ''}</li>`).join('')}</ol></details>`;
  }

  function formHtml(r) {
    const reason = readOnlyReason(campaign, session);
    const mine = r.mine;
    const grid = criteria().map((c) => `<fieldset class="criterion" data-criterion="${escape(c.id)}"><legend>${escape(c.label)}</legend><div class="choices">${scale.map((word, i) => {
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

  /** Opens a residence's sheet and form. */
  async function openResidence(rid, { fly = false, message = '' } = {}) {
    if (!campaign) return;
    panel.hidden = false;
    main.hidden = true;
    sheet.hidden = false;
    if (open?.rid !== rid) sheet.innerHTML = '<p>Chargement de la résidence…</p>';
    const r = await api(`api/campaigns/${campaign.id}/residences/${encodeURIComponent(rid)}`);
    const back = '<button type="button" class="back">← Retour à la liste</button>';
    if (!r.ok) {
      open = null;
      sheet.innerHTML = `${back}<p class="error">${escape(refusal(r, 'Résidence indisponible'))}</p>`;
      sheet.querySelector('.back').addEventListener('click', closeResidence);
      sheet.querySelector('.back').focus();
      return;
    }
    const res = r.body;
    open = { rid, data: res, revision: res.mine?.revision ?? null };
    highlight();
    const where = [res.commune_name ? `${res.commune_name} (${res.commune})` : res.commune, res.landlord, res.logements !== undefined && res.logements !== null ? plural(res.logements, 'logement', 'logements') : '']
      .filter(Boolean).map(escape).join(' — ');
    sheet.innerHTML = `${back}<div class="residence-sheet">
      <p class="kind">Résidence — ${escape(campaign.name)}</p>
      <h3>${escape(address(res))}</h3>
      <p>${where}</p>
      ${consolidatedHtml(res)}
      ${notesTable(res)}
      ${formHtml(res)}
      ${historyHtml(res)}
      <p class="hint">Identifiant : ${escape(res.id)}</p>
    </div>`;
    sheet.querySelector('.back').addEventListener('click', closeResidence);
    if (fly && Number.isFinite(res.lon) && Number.isFinite(res.lat)) flyTo(res.lon, res.lat);
    const form = sheet.querySelector('form.rating');
    form.addEventListener('submit', (e) => { e.preventDefault(); busy(() => save(form)); });
    if (message) {
      // After a save the focus stays on the button, beside what it says.
      form.querySelector('.save-status').textContent = message;
      (form.querySelector('.save') ?? sheet.querySelector('.back')).focus();
    } else {
      panel.scrollTop = 0;
      sheet.querySelector('.back').focus({ preventScroll: true });
    }
  }

  function closeResidence() {
    if (sheet.hidden) return false;
    const rid = open?.rid;
    open = null;
    highlight();
    sheet.hidden = true;
    main.hidden = false;
    const row = rid ? [...table.querySelectorAll('tbody tr')].find((tr) => tr.dataset.rid === rid) : null;
    (row?.querySelector('button') ?? select).focus();
    return true;
  }

  /** The grid as the API takes it. */
  function readForm(form) {
    const scores = {};
    for (const c of criteria()) {
      const checked = form.querySelector(`input[name="crit-${CSS.escape(c.id)}"]:checked`);
      if (checked) scores[c.id] = Number(checked.value);
    }
    return { scores, comment: form.querySelector('#qualif-comment').value.trim() };
  }

  function fillForm(form, rating) {
    for (const c of criteria()) {
      const v = rating?.scores?.[c.id];
      for (const input of form.querySelectorAll(`input[name="crit-${CSS.escape(c.id)}"]`)) input.checked = Number(input.value) === v;
    }
    form.querySelector('#qualif-comment').value = rating?.comment ?? '';
  }

  async function save(form) {
    const status = form.querySelector('.save-status');
    const conflict = form.querySelector('.conflict');
    const body = readForm(form);
    if (!Object.keys(body.scores).length) { status.textContent = 'Choisissez au moins une note avant d’enregistrer.'; return; }
    status.textContent = 'Enregistrement…';
    const headers = open.revision !== null ? { 'if-match': `"${open.revision}"` } : {};
    const rid = open.rid;
    const r = await api(`api/campaigns/${campaign.id}/ratings/${encodeURIComponent(rid)}`, { method: 'PUT', body, headers });
    if (r.status === 409 || r.status === 412) { await showConflict(form, body); return; }
    if (!r.ok) {
      status.textContent = '';
      conflict.hidden = false;
      conflict.innerHTML = `<p>${escape(refusal(r, 'La note n’a pas pu être enregistrée'))}</p>`;
      if (r.status === 401) await loadSession();
      return;
    }
    const revision = r.body.revision ?? Number((r.headers.get('etag') ?? '').replace(/\D/g, ''));
    const message = `Note enregistrée (révision ${num(revision)}).`;
    // The rest of the page follows: the campaign's progress, the table, the map.
    await openResidence(rid, { message });
    const c = await api(`api/campaigns/${campaign.id}`);
    if (c.ok) { campaign = c.body; renderInfo(); }
    await loadResidences();
    refreshTiles();
  }

  /** Someone saved this residence's rating since it was loaded: their version beside ours. */
  async function showConflict(form, ours) {
    const status = form.querySelector('.save-status');
    const conflict = form.querySelector('.conflict');
    status.textContent = '';
    const r = await api(`api/campaigns/${campaign.id}/residences/${encodeURIComponent(open.rid)}`);
    const theirs = r.ok ? r.body.mine : null;
    conflict.hidden = false;
    if (!theirs) {
      conflict.innerHTML = '<p>Quelqu’un d’autre a modifié cette note entre-temps. Rechargez la résidence pour voir sa version.</p><button type="button" class="reload">Recharger</button>';
      conflict.querySelector('.reload').addEventListener('click', () => openResidence(open.rid));
      return;
    }
    conflict.innerHTML = `<p><strong>Quelqu’un d’autre a modifié cette note entre-temps</strong>${theirs.by ? ` (${escape(theirs.by)}` : ' ('}${theirs.updated_at ? `, ${when(theirs.updated_at)}` : ''}, révision ${num(theirs.revision)}). Votre saisie n’est pas enregistrée : leurs notes sont indiquées sous chaque critère.</p>`
      + `${theirs.comment ? `<p>Leur commentaire : « ${escape(theirs.comment)} »</p>` : ''}`
      + '<div class="conflict-actions"><button type="button" class="take-theirs">Reprendre leur version</button> <button type="button" class="keep-mine">Garder ma saisie</button></div>';
    for (const c of criteria()) {
      const box = form.querySelector(`fieldset[data-criterion="${CSS.escape(c.id)}"] .theirs`);
      const v = theirs.scores?.[c.id];
      const differs = v !== ours.scores[c.id];
      box.hidden = v === undefined || v === null;
      box.classList.toggle('differs', differs);
      box.innerHTML = box.hidden ? '' : `Leur note : <strong>${v}</strong> (${scale[v - 1]?.toLowerCase() ?? ''})${differs ? ` <button type="button" class="take" data-value="${v}">Reprendre ${v}</button>` : ''}`;
      box.querySelector('.take')?.addEventListener('click', () => {
        for (const input of form.querySelectorAll(`input[name="crit-${CSS.escape(c.id)}"]`)) input.checked = Number(input.value) === v;
      });
    }
    const base = () => {
      open.revision = theirs.revision;
      open.data.mine = theirs;
    };
    conflict.querySelector('.take-theirs').addEventListener('click', () => {
      base();
      fillForm(form, theirs);
      conflict.hidden = true;
      for (const box of form.querySelectorAll('.theirs')) box.hidden = true;
      status.textContent = `Leur version est chargée (révision ${num(theirs.revision)}).`;
      form.querySelector('input[type=radio]:checked, input[type=radio]')?.focus();
    });
    conflict.querySelector('.keep-mine').addEventListener('click', () => {
      base();
      conflict.hidden = true;
      status.textContent = `Votre saisie est gardée : reprenez leurs notes critère par critère si besoin, puis enregistrez (elle remplacera la révision ${num(theirs.revision)}).`;
      form.querySelector('.save')?.focus();
    });
    conflict.querySelector('.take-theirs').focus();
  }

  /** A click on the map: the nearest residence of the campaign under it opens. */
  function clickMap(e) {
    if (panel.hidden || !campaign || !map.getLayer(LAYER)) return false;
    const pad = 6;
    const hits = map.queryRenderedFeatures([[e.point.x - pad, e.point.y - pad], [e.point.x + pad, e.point.y + pad]], { layers: [LAYER] });
    if (!hits.length) return false;
    const dist = (f) => {
      const p = map.project(f.geometry.coordinates);
      return (p.x - e.point.x) ** 2 + (p.y - e.point.y) ** 2;
    };
    const nearest = hits.reduce((a, b) => (dist(b) < dist(a) ? b : a));
    if (nearest.properties.id === undefined) return false;
    busy(() => openResidence(String(nearest.properties.id)));
    return true;
  }

  renderSession();
  renderLegend();
  const ready = loadSession();
  return {
    show: () => busy(async () => {
      panel.hidden = false;
      await ready;
      await loadCampaigns();
      if (campaign) addLayers();
      onChange?.(campaign?.id ?? null);
      (session.member ? select : tokenInput).focus();
    }),
    /** Closes the panel; its campaign stays picked for the next opening, off the map meanwhile. */
    hide() {
      panel.hidden = true;
      open = null;
      sheet.hidden = true;
      main.hidden = false;
      removeLayers();
    },
    /** Restores the campaign of the link (`qualif=7`); the camera of the link stays. */
    restore: (value) => busy(async () => {
      await ready;
      await loadCampaigns();
      const id = Number(value);
      if (!Number.isInteger(id) || id <= 0) return;
      await pick(id, { fit: false });
      if (!campaign) pending = id;
    }),
    clickMap,
    closeResidence,
    openResidence,
    get campaign() { return campaign; },
    get session() { return session; },
  };
}
