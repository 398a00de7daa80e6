// "Qualification du parc": the partners of a campaign (landlords, communes, the EPCI, the State,
// associations) rate every social residence of its territory on a grid of criteria, 1 to 5,
// together. The panel signs a member in with a personal token (a session cookie afterwards), picks
// a campaign (status, dates, progress; the pilot opens, closes and publishes it), draws its
// residences on the map (qualif-map.js), lists them in a sortable table narrowed by a filter,
// exports them, and opens a residence's rating form: the grid, a comment, saved against the
// revision loaded — a stale save is a conflict, shown beside the user's own notes to take theirs
// or keep one's own. What it shows is built by qualif-view.js; this module holds the state and
// talks to the API (/api/session, /api/campaigns; see the README, "Qualification du parc").
import { escape, num } from './format.js';
import { campaignLayers } from './qualif-map.js';
import {
  LIST, SCALE, STATUS, campaignHtml, conflictHtml, countText, fillForm, readForm, readOnlyReason, refusal,
  residenceHtml, rowHtml, sortResidences, tableHeadHtml, theirsHtml,
} from './qualif-view.js';

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
    return { ok: false, status: 0, body: {}, headers: new Headers() };
  }
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
  const sessionError = $('#qualif-session-error');
  const select = $('#qualif-campaign');
  const info = $('#qualif-campaign-info');
  const listSection = $('#qualif-list');
  const main = $('#qualif-main');
  const sheet = $('#qualif-residence');
  const table = $('#qualif-table');
  const count = $('#qualif-count');
  const legend = $('#qualif-legend');
  const drawn = campaignLayers(map, { layers, drawer: panel, sidePanel: document.getElementById('panel'), small, onLayers });

  let session = { member: null, org: null };
  let campaigns = [];
  let campaign = null;
  let residences = [];
  let sort = { key: 'overall', dir: 'asc' };
  /** The words of the scale, 1 to 5 (the server's when it gives them). */
  let scale = SCALE;
  /** The residence open in the form: its id, what was loaded, the revision saves are made against. */
  let open = null;
  /** A campaign of the link not visible before signing in. */
  let pending = null;
  const criteria = () => campaign?.criteria ?? [];

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
    $('#qualif-who').hidden = !signedIn;
    $('#qualif-who-name').textContent = signedIn ? `Connecté : ${session.member.name} (${session.org?.name ?? ''})` : '';
    // "Rated by my organisation" means nothing without one.
    const mineFilter = $('input[name=qualif-filter][value=mon_org]');
    mineFilter.closest('label').hidden = !signedIn;
    if (!signedIn && mineFilter.checked) $('input[name=qualif-filter][value=""]').checked = true;
  }

  async function loadSession() {
    const r = await api('api/session');
    session = r.ok && r.body.member ? { member: r.body.member, org: r.body.org } : { member: null, org: null };
    renderSession();
  }

  signin.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(async () => {
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
    });
  });

  $('#qualif-signout').addEventListener('click', () => busy(async () => {
    sessionError.textContent = '';
    const r = await api('api/session', { method: 'DELETE' });
    if (!r.ok) { sessionError.textContent = refusal(r, 'La déconnexion a échoué'); return; }
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
    if (keep !== null && keep !== undefined && campaigns.some((c) => c.id === keep)) {
      await pick(keep, { fit: false });
      if (rid) await openResidence(rid);
    } else {
      await pick(null);
      // Out of sight for this person (unpublished, signed out): back when someone who may see it
      // signs in.
      pending = keep ?? null;
    }
  }

  // ---- Campaigns -------------------------------------------------------------------------
  async function loadCampaigns() {
    const r = await api('api/campaigns');
    campaigns = r.ok ? r.body.campaigns ?? [] : [];
    const none = campaigns.length ? 'Choisissez une campagne…' : session.member ? 'Aucune campagne pour votre organisation' : 'Aucune campagne publiée';
    select.replaceChildren(new Option(none, ''), ...campaigns.map((c) => new Option(`${c.name} — ${STATUS[c.status] ?? c.status}`, String(c.id))));
    select.value = campaign && campaigns.some((c) => c.id === campaign.id) ? String(campaign.id) : '';
  }

  select.addEventListener('change', () => busy(() => pick(select.value ? Number(select.value) : null)));

  function renderInfo() {
    if (!campaign) { info.replaceChildren(); return; }
    info.innerHTML = campaignHtml(campaign);
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
    drawn.refresh();
    info.querySelector('.manage button')?.focus();
  }

  function showLayers() {
    drawn.show(campaign.id);
    legend.innerHTML = drawn.legend(scale);
  }

  /** Opens a campaign (null: none); `fit` moves the map to its territory. Only the latest pick
   * goes on (the arrows of the menu pick one campaign after another). */
  let picks = 0;
  async function pick(id, { fit = true } = {}) {
    const mine = ++picks;
    open = null;
    sheet.hidden = true;
    main.hidden = false;
    const none = (html = '') => {
      campaign = null;
      select.value = '';
      info.innerHTML = html;
      listSection.hidden = true;
      residences = [];
      drawn.remove();
      onChange?.(null);
    };
    if (id === null || id === undefined) {
      pending = null;
      none();
      return;
    }
    const r = await api(`api/campaigns/${id}`);
    if (mine !== picks) return;
    if (!r.ok) {
      const why = { 404: 'Cette campagne n’existe pas, ou n’est pas publiée : connectez-vous si votre organisation en est partenaire.',
        403: 'Cette campagne n’est pas publiée et votre organisation n’en est pas partenaire.' }[r.status];
      none(`<p class="error" role="alert">${escape(why ?? refusal(r, 'Campagne indisponible'))}</p>`);
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
    showLayers();
    await loadResidences();
    if (fit && mine === picks) await fitTerritory();
  }

  /** The map moves to the campaign's territory (its bbox from the search, else its residences'). */
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
    drawn.fit(bbox);
  }

  for (const radio of panel.querySelectorAll('input[name=qualif-mode]')) {
    radio.addEventListener('change', () => {
      drawn.setMode(radio.value);
      legend.innerHTML = drawn.legend(scale);
    });
  }

  // ---- Table -----------------------------------------------------------------------------
  /** The filter (one at a time, as the API takes it): '', desaccord, a_noter or mon_org. */
  const filter = () => $('input[name=qualif-filter]:checked')?.value ?? '';
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
    residences = r.ok ? r.body.residences ?? [] : [];
    if (Array.isArray(r.body.scale) && r.body.scale.length === 5) scale = r.body.scale;
    renderTable();
    if (!r.ok) count.textContent = refusal(r, 'Les résidences n’ont pas pu être chargées');
  }

  function renderTable() {
    const shown = sortResidences(residences, sort.key, sort.dir).slice(0, LIST);
    const head = table.querySelector('thead tr');
    head.innerHTML = tableHeadHtml(sort);
    for (const b of head.querySelectorAll('button')) {
      b.addEventListener('click', () => {
        const key = b.dataset.sort;
        sort = { key, dir: sort.key === key && sort.dir === 'asc' ? 'desc' : 'asc' };
        renderTable();
        table.querySelector(`thead button[data-sort="${key}"]`).focus();
      });
    }
    table.querySelector('tbody').replaceChildren(...shown.map((r) => {
      const tr = document.createElement('tr');
      tr.dataset.rid = r.id;
      if (r.desaccord) tr.classList.add('desaccord');
      tr.innerHTML = rowHtml(r);
      const go = () => busy(() => openResidence(r.id, { fly: true }));
      tr.querySelector('button').addEventListener('click', go);
      tr.addEventListener('click', (e) => { if (!e.target.closest('button')) go(); });
      return tr;
    }));
    count.dataset.total = String(residences.length);
    count.textContent = countText(residences.length, shown.length, Boolean(filter()));
  }

  // ---- A residence: consolidated results and the rating form --------------------------------
  /** Opens a residence's sheet and form; `message` is said after a save. */
  async function openResidence(rid, { fly = false, message = '' } = {}) {
    if (!campaign) return;
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
    open = { rid, revision: res.mine?.revision ?? null };
    drawn.select(rid);
    sheet.innerHTML = back + residenceHtml(res, { campaign, scale, reason: readOnlyReason(campaign, session) });
    sheet.querySelector('.back').addEventListener('click', closeResidence);
    if (fly && Number.isFinite(res.lon) && Number.isFinite(res.lat)) drawn.flyTo(res.lon, res.lat);
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
    drawn.select(null);
    sheet.hidden = true;
    main.hidden = false;
    const row = rid ? [...table.querySelectorAll('tbody tr')].find((tr) => tr.dataset.rid === rid) : null;
    (row?.querySelector('button') ?? select).focus();
    return true;
  }

  async function save(form) {
    const status = form.querySelector('.save-status');
    const conflict = form.querySelector('.conflict');
    const body = readForm(form, criteria());
    if (!Object.keys(body.scores).length) { status.textContent = 'Choisissez au moins une note avant d’enregistrer.'; return; }
    status.textContent = 'Enregistrement…';
    const headers = open.revision !== null ? { 'if-match': `"${open.revision}"` } : {};
    const { rid } = open;
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
    await openResidence(rid, { message: `Note enregistrée (révision ${num(revision)}).` });
    // The rest of the page follows: the campaign's progress, the table, the map.
    const c = await api(`api/campaigns/${campaign.id}`);
    if (c.ok) { campaign = c.body; renderInfo(); }
    await loadResidences();
    drawn.refresh();
  }

  /** Someone saved this residence's rating since it was loaded: their version beside ours, to
   * take whole, criterion by criterion, or to overwrite with ours. */
  async function showConflict(form, ours) {
    const status = form.querySelector('.save-status');
    const conflict = form.querySelector('.conflict');
    status.textContent = '';
    const r = await api(`api/campaigns/${campaign.id}/residences/${encodeURIComponent(open.rid)}`);
    const theirs = r.ok ? r.body.mine : null;
    conflict.hidden = false;
    if (!theirs) {
      conflict.innerHTML = '<p>Quelqu’un d’autre a modifié cette note entre-temps. Rechargez la résidence pour voir sa version.</p><button type="button" class="reload">Recharger</button>';
      conflict.querySelector('.reload').addEventListener('click', () => busy(() => openResidence(open.rid)));
      return;
    }
    conflict.innerHTML = conflictHtml(theirs);
    for (const c of criteria()) {
      const box = form.querySelector(`fieldset[data-criterion="${CSS.escape(c.id)}"] .theirs`);
      const v = theirs.scores?.[c.id];
      const differs = v !== ours.scores[c.id];
      box.hidden = v === undefined || v === null;
      box.classList.toggle('differs', differs);
      box.innerHTML = box.hidden ? '' : theirsHtml(v, differs, scale);
      box.querySelector('.take')?.addEventListener('click', () => {
        for (const input of form.querySelectorAll(`input[name="crit-${CSS.escape(c.id)}"]`)) input.checked = Number(input.value) === v;
      });
    }
    conflict.querySelector('.take-theirs').addEventListener('click', () => {
      open.revision = theirs.revision;
      fillForm(form, criteria(), theirs);
      conflict.hidden = true;
      for (const box of form.querySelectorAll('.theirs')) box.hidden = true;
      status.textContent = `Leur version est chargée (révision ${num(theirs.revision)}).`;
      form.querySelector('input[type=radio]:checked, input[type=radio]')?.focus();
    });
    conflict.querySelector('.keep-mine').addEventListener('click', () => {
      open.revision = theirs.revision;
      conflict.hidden = true;
      status.textContent = `Votre saisie est gardée : reprenez leurs notes critère par critère si besoin, puis enregistrez (elle remplacera la révision ${num(theirs.revision)}).`;
      form.querySelector('.save')?.focus();
    });
    conflict.querySelector('.take-theirs').focus();
  }

  renderSession();
  legend.innerHTML = drawn.legend(scale);
  const ready = loadSession();
  return {
    show: () => busy(async () => {
      panel.hidden = false;
      await ready;
      await loadCampaigns();
      if (campaign) showLayers();
      onChange?.(campaign?.id ?? null);
      (session.member ? select : tokenInput).focus();
    }),
    /** Closes the panel; its campaign stays picked for the next opening, off the map meanwhile. */
    hide() {
      panel.hidden = true;
      open = null;
      sheet.hidden = true;
      main.hidden = false;
      drawn.remove();
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
    /** A click on the map: the campaign's residence under it opens (false: none there). */
    clickMap(e) {
      if (panel.hidden || !campaign) return false;
      const rid = drawn.hit(e);
      if (!rid) return false;
      busy(() => openResidence(rid));
      return true;
    },
    closeResidence,
  };
}
