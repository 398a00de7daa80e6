// Bourg's map: our style and tiles, a layer panel by theme with legends and sources, popups,
// commune search, a territory sheet, perimeters uploaded or drawn, shareable views in the URL hash,
// and a PNG export.
import * as maplibregl from '../vendor/maplibre-gl/maplibre-gl.mjs';
import { buildPanel, syncPanel } from './panel.js';
import { applyLayersFromHash, writeLayersToHash } from './hash.js';
import { setupSearch } from './search.js';
import { describe } from './popup.js';
import { openSheet, renderReport } from './sheet.js';
import { setupSites } from './sites.js';
import { setupDraw } from './draw.js';
import { exportPng, renderPng } from './export.js';

const BASEMAPS = {
  osm: { tiles: ['https://tile.openstreetmap.org/{z}/{x}/{y}.png'], tileSize: 256, attribution: '© les contributeurs d’OpenStreetMap' },
  ign: {
    tiles: ['https://data.geopf.fr/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=GEOGRAPHICALGRIDSYSTEMS.PLANIGNV2&STYLE=normal&TILEMATRIXSET=PM&FORMAT=image/png&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}'],
    tileSize: 256,
    attribution: '© IGN — Plan IGN',
  },
};

const { layers } = await (await fetch('layers')).json();
const layersById = new Map(layers.map((l) => [l.id, l]));

const map = new maplibregl.Map({
  container: 'map',
  style: 'style.json',
  hash: 'map',
  attributionControl: { compact: false },
  maxPitch: 0,
  dragRotate: false,
});
map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');
window.bourg = { map, layers, loaded: new Promise((resolve) => map.once('load', resolve)) };

await window.bourg.loaded;
applyLayersFromHash(map, layers);
const panel = document.getElementById('layers-panel');
buildPanel(panel, map, layers, () => writeLayersToHash(map, layers));
writeLayersToHash(map, layers);
window.addEventListener('hashchange', () => {
  if (applyLayersFromHash(map, layers)) syncPanel(panel, map);
});

// Popups.
const popup = new maplibregl.Popup({ maxWidth: '20rem' });
map.on('click', (e) => {
  if (draw.isDrawing()) return; // clicks place the vertices of a perimeter
  const hit = map.queryRenderedFeatures(e.point).find((f) => f.layer.metadata?.['bourg:layer']);
  if (!hit) return;
  const layer = layersById.get(hit.layer.metadata['bourg:layer']);
  const d = describe(hit, layer);
  const div = document.createElement('div');
  div.className = 'popup';
  div.innerHTML = `<h3>${d.title}</h3>${d.body}`;
  if (d.territory) {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = 'Fiche du territoire';
    button.addEventListener('click', () => showSheet(d.territory.code, d.territory.name));
    div.append(button);
  }
  popup.setLngLat(e.lngLat).setDOMContent(div).addTo(map);
});
for (const l of map.getStyle().layers.filter((s) => s.metadata?.['bourg:layer'])) {
  map.on('mouseenter', l.id, () => { map.getCanvas().style.cursor = 'pointer'; });
  map.on('mouseleave', l.id, () => { map.getCanvas().style.cursor = ''; });
}

// Territory sheet.
const sheet = document.getElementById('sheet');
const showSheet = (code, name) => openSheet(sheet, document.getElementById('sheet-content'), code, name);
document.getElementById('sheet-close').addEventListener('click', () => { draw.cancel(); sheet.hidden = true; });

// Perimeters, uploaded or drawn: their indicators from api/territories/stats, in the sheet; only
// the latest request is shown when several overlap.
const uploadError = document.getElementById('upload-error');
// A refusal shows the server's reason (plain English) after a French heading for its status.
const REFUSED_FILE = { 400: 'Fichier illisible', 413: 'Fichier trop volumineux' };
const REFUSED_DRAWING = { 400: 'Périmètre refusé', 413: 'Périmètre trop détaillé' };
let analyses = 0;
async function analyse(body, type, params, refused) {
  const mine = ++analyses;
  uploadError.textContent = '';
  const failed = 'Les indicateurs n’ont pas pu être calculés.';
  let report;
  let error;
  try {
    const res = await fetch(`api/territories/stats?${new URLSearchParams(params)}`, { method: 'POST', headers: { 'content-type': type }, body });
    report = await res.json();
    if (!res.ok) {
      const why = report.description ?? failed;
      error = refused[res.status] ? `${refused[res.status]} : ${why}` : why;
    }
  } catch {
    error = failed;
  }
  if (mine !== analyses) return;
  if (error) { uploadError.textContent = error; return; }
  renderReport(document.getElementById('sheet-content'), report);
}

// Upload: a GeoJSON, zipped Shapefile or GeoPackage, in any CRS.
const TYPES = { zip: 'application/zip', gpkg: 'application/geopackage+sqlite3' };
document.getElementById('upload').addEventListener('submit', (e) => {
  e.preventDefault();
  const file = document.getElementById('upload-file').files[0];
  if (!file) { uploadError.textContent = 'Choisissez un fichier.'; return; }
  const ext = file.name.split('.').pop().toLowerCase();
  const crs = document.getElementById('upload-crs').value;
  analyse(file, TYPES[ext] ?? 'application/geo+json', { name: file.name, ...(crs ? { crs } : {}) }, REFUSED_FILE);
});

// Drawing (draw.js): a polygon drawn on the map, kept there as an outline until cleared.
const draw = setupDraw(map, {
  root: document.getElementById('draw'),
  onPolygon: (feature) => analyse(JSON.stringify(feature), 'application/geo+json', { name: 'Périmètre dessiné' }, REFUSED_DRAWING),
});

document.getElementById('analyse-toggle').addEventListener('click', () => {
  document.getElementById('sites').hidden = true;
  sheet.hidden = false;
  document.getElementById('sheet-content').innerHTML = '<h2>Analyser un périmètre</h2><p>Dessinez un périmètre sur la carte ou envoyez-en un fichier (ORT, quartier, secteur d’étude) pour en calculer les indicateurs.</p>';
  (draw.isDrawing() ? document.getElementById('draw-finish') : document.getElementById('draw-start')).focus();
});

// Recycling sites.
const sitesPanel = setupSites(map, document.getElementById('sites'));
const sitesButton = document.getElementById('sites-toggle');
sitesButton.addEventListener('click', () => {
  const open = document.getElementById('sites').hidden;
  if (open) { draw.cancel(); sheet.hidden = true; sitesPanel.show(); if (map.getLayer('sites-circle')) map.setLayoutProperty('sites-circle', 'visibility', 'visible'); } else sitesPanel.hide();
  sitesButton.setAttribute('aria-expanded', String(open));
});
document.getElementById('sites-close').addEventListener('click', () => { sitesPanel.hide(); sitesButton.setAttribute('aria-expanded', 'false'); });

// Search.
setupSearch(document.getElementById('search'), document.getElementById('search-results'), (r) => {
  map.fitBounds([[r.bbox[0], r.bbox[1]], [r.bbox[2], r.bbox[3]]], { padding: 60, maxZoom: 13, duration: 800 });
  showSheet(r.code, r.name);
});

// Basemap.
document.getElementById('basemap').addEventListener('change', (e) => {
  if (map.getLayer('basemap')) map.removeLayer('basemap');
  if (map.getSource('basemap')) map.removeSource('basemap');
  const choice = BASEMAPS[e.target.value];
  if (!choice) return;
  map.addSource('basemap', { type: 'raster', ...choice });
  const first = map.getStyle().layers.find((l) => l.type !== 'background');
  map.addLayer({ id: 'basemap', type: 'raster', source: 'basemap' }, first?.id);
});

// Export and panel toggle.
document.getElementById('export').addEventListener('click', () => exportPng(map, layers));
document.getElementById('panel-toggle').addEventListener('click', (e) => {
  const aside = document.getElementById('panel');
  aside.hidden = !aside.hidden;
  e.target.setAttribute('aria-expanded', String(!aside.hidden));
});
window.bourg.showSheet = showSheet;
window.bourg.draw = draw;
window.bourg.renderPng = () => renderPng(map, layers);
window.bourg.ready = true;
