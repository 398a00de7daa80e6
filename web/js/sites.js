// "Sites à recycler": ranked candidates from /api/sites with a slider per score component, the
// sites drawn on the map, click to fly there, and exports (CSV, GeoJSON, GeoPackage).
import { escape, num } from './format.js';

const COMPONENTS = [
  ['vacancy', 'Vacance alentour', 0.25],
  ['perimeter', 'Dans un périmètre', 0.2],
  ['centre', 'Proche du centre', 0.15],
  ['stock', 'Parc social proche', 0.1],
  ['size', 'Taille du site', 0.1],
  ['detente', 'Marché détendu', 0.1],
  ['fragility', 'Fragilité', 0.1],
];
const KIND = { friche: 'Friche', vacance: 'Vacance', residence: 'Résidence' };

export function setupSites(map, panel, onResults) {
  const weightsBox = panel.querySelector('#weights');
  const list = panel.querySelector('#sites-list');
  const weights = Object.fromEntries(COMPONENTS.map(([id, , w]) => [id, w]));
  weightsBox.replaceChildren(...COMPONENTS.map(([id, label]) => {
    const row = document.createElement('div');
    row.className = 'weight';
    row.innerHTML = `<label for="w-${id}">${escape(label)}</label><input id="w-${id}" type="range" min="0" max="1" step="0.05" value="${weights[id]}"><output for="w-${id}">${weights[id]}</output>`;
    const input = row.querySelector('input');
    input.addEventListener('change', () => {
      weights[id] = Number(input.value);
      row.querySelector('output').textContent = input.value;
      refresh();
    });
    return row;
  }));
  const query = (extra = '') => `api/sites?limit=50&weights=${encodeURIComponent(Object.entries(weights).map(([k, v]) => `${k}:${v}`).join(','))}${extra}`;
  let timer;
  async function refresh() {
    for (const f of ['csv', 'geojson', 'gpkg']) panel.querySelector(`#export-${f}`).href = query(`&f=${f}`);
    const res = await fetch(query());
    if (!res.ok) return;
    const { sites } = await res.json();
    list.replaceChildren(...sites.slice(0, 25).map((s) => {
      const li = document.createElement('li');
      li.tabIndex = 0;
      li.dataset.site = `${s.layer}/${s.id}`;
      // What weighs most in this score: weight × component, in points of the score.
      const top = Object.entries(s.components)
        .map(([k, v]) => [k, v * (weights[k] ?? 0) * 100])
        .filter(([, points]) => points > 0)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3)
        .map(([k, points]) => `${COMPONENTS.find((c) => c[0] === k)?.[1] ?? k} +${num(points)}`)
        .join(' · ');
      li.innerHTML = `<span class="score">${num(s.score)}</span> — ${escape(KIND[s.kind] ?? s.kind)} : ${escape(s.label)}${s.synthetic ? ' <span class="badge">synthétique</span>' : ''}<br><span class="comp">${escape(top)}</span>`;
      const go = () => map.flyTo({ center: [s.lon, s.lat], zoom: 16 });
      li.addEventListener('click', go);
      li.addEventListener('keydown', (e) => { if (e.key === 'Enter') go(); });
      return li;
    }));
    const data = { type: 'FeatureCollection', features: sites.map((s) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: [s.lon, s.lat] }, properties: { score: s.score, rank: s.rank } })) };
    if (map.getSource('sites')) map.getSource('sites').setData(data);
    else {
      map.addSource('sites', { type: 'geojson', data });
      map.addLayer({ id: 'sites-circle', type: 'circle', source: 'sites', paint: { 'circle-radius': 7, 'circle-color': ['interpolate', ['linear'], ['get', 'score'], 30, '#fee08b', 60, '#f46d43', 90, '#a50026'], 'circle-stroke-color': '#000', 'circle-stroke-width': 1.5 } });
    }
    onResults?.(sites);
  }
  return {
    show() {
      panel.hidden = false;
      clearTimeout(timer);
      timer = setTimeout(refresh, 0);
    },
    hide() {
      panel.hidden = true;
      if (map.getLayer('sites-circle')) map.setLayoutProperty('sites-circle', 'visibility', 'none');
    },
    refresh,
  };
}
