// "Sites à recycler": candidates from /api/sites narrowed by territory (communes, EPCI),
// programme and kind, ranked by a 0–100 score whose weights the user sets; every match drawn on
// the map (the sites tiles, same query), the best listed with where they are and why they rank,
// "N affichés sur M", exports of all matches, and a sheet per site (/api/sites/{layer}/{id}).
import { escape, isPlural, num, plural } from './format.js';
import { setupSearch } from './search.js';

export const COMPONENTS = [
  ['vacancy', 'Vacance alentour', 0.25],
  ['perimeter', 'Dans un périmètre', 0.2],
  ['centre', 'Proche du centre', 0.15],
  ['stock', 'Parc social proche', 0.1],
  ['size', 'Taille du site', 0.1],
  ['detente', 'Marché détendu', 0.1],
  ['fragility', 'Fragilité', 0.1],
];
const KIND = { friche: 'Friche', vacance: 'Vacance longue', residence: 'Résidence fragile' };
const KINDS = Object.keys(KIND);
/** Sites listed (the map and the exports hold every match). */
const LIST = 50;
/** Score classes (0–100) of the legend: those of the style's `sites-ranked` layer, a `step` on
 * the score. */
function scoreClasses(map) {
  const e = map.getLayer('sites-ranked') ? map.getPaintProperty('sites-ranked', 'circle-color') : null;
  if (!Array.isArray(e) || e[0] !== 'step') return { breaks: [], colors: ['#f03b20'] };
  const colors = [e[2]];
  const breaks = [];
  for (let i = 3; i + 1 < e.length; i += 2) { breaks.push(e[i]); colors.push(e[i + 1]); }
  return { breaks, colors };
}

function legend({ breaks, colors }) {
  return `<strong>Score</strong> ${colors.map((c, i) => {
    const lo = i === 0 ? 0 : breaks[i - 1];
    const hi = breaks[i] ?? 100;
    return `<span class="row"><span class="swatch point" style="background:${c}"></span>${lo}–${hi}</span>`;
  }).join('')}`;
}

/** The filters and weights as they go in /api/sites' query and in the page's URL. */
export function encodeFilters(f) {
  const p = new URLSearchParams();
  if (f.territories.length) p.set('territory', f.territories.map((t) => t.code).join(','));
  if (f.programmes.length) p.set('programme', f.programmes.join(','));
  if (f.kinds.length && f.kinds.length < KINDS.length) p.set('kind', f.kinds.join(','));
  const changed = COMPONENTS.filter(([id, , w]) => f.weights[id] !== w);
  if (changed.length) p.set('weights', COMPONENTS.map(([id]) => `${id}:${f.weights[id]}`).join(','));
  return p;
}

/** The filters as the page's URL keeps them (`sites=t-62498,62510~p-acv~k-friche~w-vacancy:0.5,…`):
 * no `&`, `=` or `%`, which MapLibre's own rewriting of the hash would not keep. */
export function filtersToHash(f) {
  const p = encodeFilters(f);
  const parts = [['t', 'territory'], ['p', 'programme'], ['k', 'kind'], ['w', 'weights']]
    .filter(([, key]) => p.has(key))
    .map(([short, key]) => `${short}-${p.get(key)}`);
  return parts.join('~');
}

/** The filters read back from the URL's `sites=` value; territory names are filled in later. */
export function filtersFromHash(text) {
  const get = Object.fromEntries((text ?? '').split('~').filter((g) => g.includes('-')).map((g) => [g.slice(0, g.indexOf('-')), g.slice(g.indexOf('-') + 1)]));
  const weights = Object.fromEntries(COMPONENTS.map(([id, , w]) => [id, w]));
  for (const part of (get.w ?? '').split(',').filter(Boolean)) {
    const [id, v] = part.split(':');
    if (id in weights && v !== '' && Number.isFinite(Number(v))) weights[id] = Number(v);
  }
  return {
    territories: (get.t ?? '').split(',').filter((c) => /^[0-9A-Za-z-]{1,20}$/.test(c)).map((code) => ({ code, name: code })),
    programmes: (get.p ?? '').split(',').filter((v) => ['acv', 'pvd', 'ort'].includes(v)),
    kinds: get.k ? get.k.split(',').filter((k) => KINDS.includes(k)) : [...KINDS],
    weights,
  };
}

function epciName(e) {
  if (!e) return '';
  return typeof e === 'string' ? e : e.name ?? e.nom ?? '';
}

/** Where a site is: its address or place, its commune. */
function where(s) {
  const commune = s.commune_name ? `${s.commune_name} (${s.commune})` : s.commune;
  return [s.address, commune].filter(Boolean).map(escape).join(' — ');
}

/** What weighs most in a score: the three largest contributions, in points. */
function topReasons(s) {
  const points = s.points ?? {};
  return Object.entries(points)
    .filter(([, p]) => p > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([k, p]) => `${COMPONENTS.find((c) => c[0] === k)?.[1] ?? k} +${num(p)}`)
    .join(' · ');
}

export function setupSites(map, panel, { layers, onChange } = {}) {
  const list = panel.querySelector('#sites-list');
  const count = panel.querySelector('#sites-count');
  const finder = panel.querySelector('#sites-finder');
  const sheet = panel.querySelector('#site-sheet');
  const chips = panel.querySelector('#sites-chips');
  const form = panel.querySelector('#sites-filters');
  const classes = scoreClasses(map);
  const scoreColor = (score) => classes.colors[classes.breaks.filter((b) => score >= b).length];
  panel.querySelector('#sites-legend').innerHTML = legend(classes);
  let filters = filtersFromHash('');
  const labelsOf = (layerId) => layers?.find((l) => l.id === layerId)?.labels ?? {};

  // Weights: a slider per component.
  const weightsBox = panel.querySelector('#weights');
  const drawWeights = () => weightsBox.replaceChildren(...COMPONENTS.map(([id, label]) => {
    const row = document.createElement('div');
    row.className = 'weight';
    row.innerHTML = `<label for="w-${id}">${escape(label)}</label><input id="w-${id}" type="range" min="0" max="1" step="0.05" value="${filters.weights[id]}"><output for="w-${id}">${filters.weights[id]}</output>`;
    const input = row.querySelector('input');
    input.addEventListener('change', () => {
      filters.weights[id] = Number(input.value);
      row.querySelector('output').textContent = input.value;
      refresh();
    });
    return row;
  }));

  const drawChips = () => chips.replaceChildren(...filters.territories.map((t) => {
    const li = document.createElement('li');
    li.innerHTML = `<span>${escape(t.name)}</span><button type="button" aria-label="Retirer ${escape(t.name)}">×</button>`;
    li.querySelector('button').addEventListener('click', () => {
      filters.territories = filters.territories.filter((x) => x.code !== t.code);
      drawChips();
      refresh();
      panel.querySelector('#sites-territory').focus();
    });
    return li;
  }));

  const syncForm = () => {
    for (const box of form.querySelectorAll('input[name=programme]')) box.checked = filters.programmes.includes(box.value);
    for (const box of form.querySelectorAll('input[name=kind]')) box.checked = filters.kinds.includes(box.value);
    drawWeights();
    drawChips();
  };

  form.addEventListener('change', (e) => {
    if (e.target.name === 'programme') filters.programmes = [...form.querySelectorAll('input[name=programme]:checked')].map((b) => b.value);
    else if (e.target.name === 'kind') filters.kinds = [...form.querySelectorAll('input[name=kind]:checked')].map((b) => b.value);
    else return;
    refresh();
  });
  form.addEventListener('submit', (e) => e.preventDefault());
  setupSearch(panel.querySelector('#sites-territory'), panel.querySelector('#sites-territory-results'), (r) => {
    if (!filters.territories.some((t) => t.code === r.code)) filters.territories.push({ code: r.code, name: r.name });
    panel.querySelector('#sites-territory').value = '';
    drawChips();
    refresh();
  }, { layers });

  const query = (extra = {}) => {
    const p = encodeFilters(filters);
    for (const [k, v] of Object.entries(extra)) p.set(k, v);
    return p.toString();
  };

  let requests = 0;
  async function refresh() {
    onChange?.(filtersToHash(filters));
    if (!filters.kinds.length) {
      list.replaceChildren();
      count.textContent = 'Choisissez au moins un type de site.';
      return;
    }
    for (const f of ['csv', 'xlsx', 'geojson', 'gpkg']) panel.querySelector(`#export-${f}`).href = `api/sites?${query({ f })}`;
    // Every match on the map, from the sites tiles with the same query.
    const source = map.getSource('bourg-sites');
    if (source?.setTiles) {
      const q = query();
      source.setTiles([`${new URL('api/sites/tiles/{z}/{x}/{y}.mvt', window.location.href).href.replace(/%7B/g, '{').replace(/%7D/g, '}')}${q ? `?${q}` : ''}`]);
      if (map.getLayer('sites-ranked')) map.setLayoutProperty('sites-ranked', 'visibility', 'visible');
    }
    const mine = ++requests;
    count.textContent = 'Recherche…';
    const res = await fetch(`api/sites?${query({ limit: LIST })}`);
    if (mine !== requests) return;
    const body = await res.json().catch(() => ({}));
    if (!res.ok) {
      count.textContent = body.description ?? 'Les sites n’ont pas pu être classés.';
      list.replaceChildren();
      return;
    }
    const { sites, matched, export_max: exportMax } = body;
    // A download holds every match up to the server's ceiling: past it, the links give way to a hint.
    const exports = panel.querySelector('.exports');
    const tooMany = exportMax !== undefined && matched > exportMax;
    exports.querySelector('.links').hidden = tooMany;
    exports.querySelector('.too-many')?.remove();
    if (tooMany) exports.insertAdjacentHTML('beforeend', `<span class="too-many">plus de ${num(exportMax)} sites : choisissez des communes, un EPCI ou un programme pour les exporter.</span>`);
    count.textContent = matched === 0
      ? 'Aucun site ne correspond à ces filtres.'
      : `${num(sites.length)} affiché${isPlural(sites.length) ? 's' : ''} sur ${plural(matched, 'site trouvé', 'sites trouvés')}`;
    count.dataset.matched = String(matched);
    list.replaceChildren(...sites.map((s) => {
      const li = document.createElement('li');
      li.tabIndex = 0;
      li.dataset.site = `${s.layer}/${s.id}`;
      li.setAttribute('aria-label', `${s.rank}. ${KIND[s.kind] ?? s.kind}, score ${num(s.score)} sur 100 : ${s.label}`);
      // The label names the site ("Friche « … »", "3 logements vacants depuis 2 ans", "Résidence
      // 12 rue …"); the kind goes with where it is.
      li.innerHTML = `<span class="score" style="background:${scoreColor(s.score)}">${num(Math.round(s.score))}</span>`
        + `<span><strong>${escape(s.label)}</strong>${s.synthetic ? ' <span class="badge">synthétique</span>' : ''}</span>`
        + `<span class="where">${escape(KIND[s.kind] ?? s.kind)} · ${where(s)}</span><span class="comp">${escape(topReasons(s))}</span>`;
      const go = () => { map.flyTo({ center: [s.lon, s.lat], zoom: 16 }); openSite(s.layer, s.id); };
      li.addEventListener('click', go);
      li.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); go(); } });
      return li;
    }));
  }

  /** The sheet of a site: the score in words, every property, sources, what is synthetic. */
  async function openSite(layer, id) {
    panel.hidden = false;
    finder.hidden = true;
    sheet.hidden = false;
    sheet.innerHTML = '<p>Chargement de la fiche…</p>';
    const weights = encodeFilters(filters).get('weights');
    const res = await fetch(`api/sites/${encodeURIComponent(layer)}/${encodeURIComponent(id)}${weights ? `?weights=${encodeURIComponent(weights)}` : ''}`);
    const s = await res.json().catch(() => ({}));
    const back = '<button type="button" class="back">← Retour à la liste</button>';
    if (!res.ok) {
      sheet.innerHTML = `${back}<p>${escape(s.description ?? 'Fiche indisponible.')}</p>`;
    } else {
      const labels = labelsOf(layer);
      const rows = (s.properties ?? [])
        .filter((p) => p.value !== null && p.value !== undefined && p.value !== '')
        .map((p) => {
          const v = typeof p.value === 'string' && /^https?:\/\//.test(p.value)
            ? `<a href="${escape(p.value)}" target="_blank" rel="noopener noreferrer">${escape(p.value)}</a>`
            : num(p.value);
          return `<tr><th>${escape(labels[p.name] ?? p.label ?? p.name)}</th><td>${v}</td></tr>`;
        }).join('');
      const link = s.source_url && /^https?:\/\//.test(s.source_url)
        ? `<p><a href="${escape(s.source_url)}" target="_blank" rel="noopener noreferrer">Voir la fiche à la source</a></p>` : '';
      const epci = epciName(s.epci);
      sheet.innerHTML = `${back}<div class="site-sheet">
        <p class="kind">${escape(KIND[s.kind] ?? s.kind)}${s.rank ? ` — rang ${num(s.rank)}` : ''}</p>
        <h3>${escape(s.title ?? s.label)}</h3>
        <p>${where(s)}${epci ? `<br>${escape(epci)}` : ''}</p>
        <p><span class="score-big" style="color:${s.score >= 60 ? '#bd0026' : '#1e1e1e'}">${num(s.score)}</span> / 100</p>
        <h4>Pourquoi ce score</h4>
        <ul class="reasons">${(s.reasons ?? []).map((r) => `<li>${escape(r)}</li>`).join('')}</ul>
        ${s.synthetic ? '<p class="synthetic-notice">Données synthétiques : ce site est généré (calé sur des agrégats publics) et ne décrit pas un lieu réel.</p>' : ''}
        <h4>Ce que disent les données</h4>
        <table>${rows}</table>
        ${link}
        <p class="hint">Source : ${escape(s.attribution?.producer ?? '')}${s.attribution?.date ? `, ${escape(s.attribution.date)}` : ''}</p>
      </div>`;
    }
    sheet.querySelector('.back').addEventListener('click', closeSite);
    sheet.querySelector('.back').focus();
  }

  function closeSite() {
    if (sheet.hidden) return false;
    sheet.hidden = true;
    finder.hidden = false;
    // Opened from a popup, the finder has not searched yet.
    if (!list.children.length) refresh();
    list.querySelector('li')?.focus();
    return true;
  }

  syncForm();
  return {
    show() {
      panel.hidden = false;
      refresh();
    },
    hide() {
      panel.hidden = true;
      if (map.getLayer('sites-ranked')) map.setLayoutProperty('sites-ranked', 'visibility', 'none');
    },
    /** Restores the filters of the URL's `sites=` value; territory names come from the search. */
    async restore(text) {
      filters = filtersFromHash(text);
      await Promise.all(filters.territories.map(async (t) => {
        const res = await fetch(`api/search?q=${encodeURIComponent(t.code)}&limit=1`).catch(() => null);
        const hit = res?.ok ? (await res.json()).results?.[0] : null;
        if (hit?.code === t.code) t.name = hit.name;
      }));
      syncForm();
    },
    openSite,
    closeSite,
    refresh,
  };
}
