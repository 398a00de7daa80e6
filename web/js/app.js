// Bourg's map: our style and tiles, a layer panel by theme with legends and sources, popups,
// search of communes, EPCIs and départements, territory sheets, perimeters uploaded or drawn, the
// site finder with its site sheets, the qualification of the social stock by a campaign's partners,
// shareable views in the URL hash (camera, layers, sheet, basemap, site filters, campaign), and a
// PNG export. Phone first: the actions fold into a menu, the panels
// are bottom drawers below 760 px, one at a time; Escape closes the topmost.
import * as maplibregl from '../vendor/maplibre-gl/maplibre-gl.mjs';
import { buildPanel, syncPanel } from './panel.js';
import { applyLayersFromHash, writeLayersToHash, getHashParam, setHashParam } from './hash.js';
import { setupSearch } from './search.js';
import { describe } from './popup.js';
import { openSheet, renderReport } from './sheet.js';
import { setupSites } from './sites.js';
import { setupQualif } from './qualif.js';
import { setupDraw } from './draw.js';
import { exportPng, renderPng } from './export.js';
import { setupPrint } from './print.js';
import { setupBasemap } from './basemap.js';

const { layers } = await (await fetch('layers')).json();
const layersById = new Map(layers.map((l) => [l.id, l]));

// Archive layers on a CDN (or on this server) are read straight from their PMTiles file with
// byte ranges: `pmtiles://https://…/communes.pmtiles` sources in the style.
if (window.pmtiles) maplibregl.addProtocol('pmtiles', new window.pmtiles.Protocol().tile);

const small = window.matchMedia('(max-width: 759px)');
const map = new maplibregl.Map({
  container: 'map',
  style: 'style.json',
  hash: 'map',
  // The sources line: in full on wide screens, folded behind its button on phones.
  attributionControl: { compact: small.matches },
  maxPitch: 0,
  dragRotate: false,
});
map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');
window.bourg = { map, layers, loaded: new Promise((resolve) => map.once('load', resolve)) };

await window.bourg.loaded;
if (small.matches) {
  // MapLibre opens a compact sources line at first: on a phone it starts folded (its ⓘ opens it).
  const attrib = document.querySelector('.maplibregl-ctrl-attrib');
  attrib?.classList.remove('maplibregl-compact-show');
  attrib?.removeAttribute('open');
}
applyLayersFromHash(map, layers);
const panel = document.getElementById('layers-panel');
buildPanel(panel, map, layers, () => writeLayersToHash(map, layers));
writeLayersToHash(map, layers);
window.addEventListener('hashchange', () => {
  if (applyLayersFromHash(map, layers)) syncPanel(panel, map);
});

// Popups.
const SITE_ROLES = ['friches', 'vacancy', 'residences'];
const popup = new maplibregl.Popup({ maxWidth: '20rem' });
map.on('click', (e) => {
  if (draw.isDrawing()) return; // clicks place the vertices of a perimeter
  // A residence of the open campaign opens its rating form.
  if (qualif.clickMap(e)) { popup.remove(); return; }
  const features = map.queryRenderedFeatures(e.point);
  // A ranked site opens its sheet: why it ranks, not the popup of the layer below.
  const site = features.find((f) => f.layer.id === 'sites-ranked');
  if (site && !document.getElementById('sites').hidden) {
    const { layer, id } = site.properties;
    if (layer !== undefined && id !== undefined) { sitesPanel.openSite(layer, id); return; }
  }
  // A map name label is no feature: the click goes to what lies under it.
  const hit = features.find((f) => f.layer.metadata?.['bourg:layer'] && f.layer.type !== 'symbol');
  if (!hit) return;
  const layer = layersById.get(hit.layer.metadata['bourg:layer']);
  const d = describe(hit, layer);
  const div = document.createElement('div');
  div.className = 'popup';
  div.innerHTML = `<h3>${d.title}</h3>${d.body}`;
  // A candidate of the site finder (a brownfield, a vacancy building, a residence): its sheet,
  // with its score explained. The tiles carry each feature's id.
  if (SITE_ROLES.includes(layer?.role) && hit.id !== undefined && !hit.properties.aggregated) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'open-site';
    button.textContent = 'Fiche du site (score expliqué)';
    button.addEventListener('click', () => {
      popup.remove();
      draw.cancel();
      sheet.hidden = true;
      setHashParam('fiche', null);
      making(sitesAside);
      sitesButton.setAttribute('aria-expanded', 'true');
      sitesPanel.openSite(layer.id, hit.id);
    });
    div.append(button);
  }
  if (d.territory) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'open-territory';
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

// Drawers: on a phone one at a time (the layers, a sheet, the sites), each closed by its ×, by
// Escape or by opening another.
const panelAside = document.getElementById('panel');
const panelButton = document.getElementById('panel-toggle');
const setPanel = (open) => {
  panelAside.hidden = !open;
  panelButton.setAttribute('aria-expanded', String(open));
};
if (small.matches) setPanel(false);
const making = (drawer) => {
  if (small.matches && drawer !== panelAside) setPanel(false);
};

// Territory sheet.
const sheet = document.getElementById('sheet');
const showSheet = (code, name) => {
  document.getElementById('sites').hidden = true;
  closeQualif();
  making(sheet);
  setHashParam('fiche', code);
  return openSheet(sheet, document.getElementById('sheet-content'), code, name);
};
const closeSheet = () => { draw.cancel(); sheet.hidden = true; setHashParam('fiche', null); };
document.getElementById('sheet-close').addEventListener('click', closeSheet);

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
  closeQualif();
  making(sheet);
  setHashParam('fiche', null);
  sheet.hidden = false;
  document.getElementById('sheet-content').innerHTML = '<h2>Analyser un périmètre</h2><p>Dessinez un périmètre sur la carte ou envoyez-en un fichier (ORT, quartier, secteur d’étude) pour en calculer les indicateurs.</p>';
  (draw.isDrawing() ? document.getElementById('draw-finish') : document.getElementById('draw-start')).focus();
});

// Recycling sites.
const sitesAside = document.getElementById('sites');
const sitesPanel = setupSites(map, sitesAside, { layers, onChange: (q) => { if (!sitesAside.hidden) setHashParam('sites', q || '1'); } });
const sitesButton = document.getElementById('sites-toggle');
const openSites = () => {
  draw.cancel();
  closeQualif();
  sheet.hidden = true;
  setHashParam('fiche', null);
  making(sitesAside);
  sitesPanel.show();
  sitesButton.setAttribute('aria-expanded', 'true');
};
const closeSites = () => {
  sitesPanel.hide();
  sitesButton.setAttribute('aria-expanded', 'false');
  setHashParam('sites', null);
};
sitesButton.addEventListener('click', () => (sitesAside.hidden ? openSites() : closeSites()));
document.getElementById('sites-close').addEventListener('click', closeSites);

// Qualification of the social stock (qualif.js): sign in, a campaign, its residences rated by
// its partners. The open campaign goes in the link (`qualif=7`; `qualif=liste` with none).
function closeQualif() {
  if (qualifAside.hidden) return;
  qualif.hide();
  qualifButton.setAttribute('aria-expanded', 'false');
  setHashParam('qualif', null);
}
const qualifAside = document.getElementById('qualif');
const qualif = setupQualif(map, qualifAside, {
  layers,
  small,
  onLayers: () => syncPanel(panel, map),
  onChange: (id) => { if (!qualifAside.hidden) setHashParam('qualif', id ?? 'liste'); },
});
const qualifButton = document.getElementById('qualif-toggle');
const openQualif = () => {
  draw.cancel();
  sheet.hidden = true;
  setHashParam('fiche', null);
  if (!sitesAside.hidden) closeSites();
  making(qualifAside);
  qualifButton.setAttribute('aria-expanded', 'true');
  return qualif.show();
};
qualifButton.addEventListener('click', () => (qualifAside.hidden ? openQualif() : closeQualif()));
document.getElementById('qualif-close').addEventListener('click', () => { closeQualif(); qualifButton.focus(); });

// Search.
// A commune, an EPCI or a département: the map fits it (the residences show their fragility
// colours at every zoom) and its sheet opens.
setupSearch(document.getElementById('search'), document.getElementById('search-results'), (r) => {
  // On a phone the sheet covers the bottom of the map: the territory fits above it.
  const padding = small.matches ? { top: 20, left: 20, right: 20, bottom: Math.round(window.innerHeight * 0.6) } : 60;
  map.fitBounds([[r.bbox[0], r.bbox[1]], [r.bbox[2], r.bbox[3]]], { padding, maxZoom: 14, duration: 800 });
  showSheet(r.code, r.name);
}, { layers });

// Basemap (basemap.js).
setupBasemap(map, document.getElementById('basemap'));

// Export and panel toggle.
document.getElementById('export').addEventListener('click', () => exportPng(map, layers));
panelButton.addEventListener('click', () => {
  const open = panelAside.hidden;
  if (open && small.matches) { sheet.hidden = true; if (!sitesAside.hidden) closeSites(); closeQualif(); }
  setPanel(open);
  if (open) document.getElementById('panel-close').focus();
});
document.getElementById('panel-close').addEventListener('click', () => { setPanel(false); panelButton.focus(); });

// The menu of actions (phones and narrow windows): closes once an action is chosen.
const menuButton = document.getElementById('menu-toggle');
const actions = document.getElementById('actions');
const setMenu = (open) => {
  actions.classList.toggle('open', open);
  menuButton.setAttribute('aria-expanded', String(open));
};
menuButton.addEventListener('click', () => setMenu(!actions.classList.contains('open')));
actions.addEventListener('click', (e) => { if (e.target.closest('button')) setMenu(false); });

// A short message under the bar (a copied link).
const status = document.getElementById('status');
let statusTimer;
function say(text) {
  status.textContent = text;
  status.hidden = false;
  clearTimeout(statusTimer);
  statusTimer = setTimeout(() => { status.hidden = true; }, 4000);
}

// "Copier le lien": the URL already holds the view; it is copied as is.
document.getElementById('share').addEventListener('click', async () => {
  const url = window.location.href;
  try {
    await navigator.clipboard.writeText(url);
    say('Lien copié : il rouvre cette vue, ses couches, la fiche et les filtres.');
  } catch {
    window.prompt('Copiez ce lien :', url);
  }
});

// The basemap goes in the link too.
const basemapSelect = document.getElementById('basemap');
basemapSelect.addEventListener('change', () => setHashParam('fond', basemapSelect.value === 'none' ? null : basemapSelect.value));

// Escape closes the topmost thing open: the search list and popups handle their own; then the
// menu, a site's sheet, the sheet, the sites, a residence's rating form, the qualification, the
// layers on a phone.
document.addEventListener('keydown', (e) => {
  if (e.key !== 'Escape' || e.defaultPrevented || draw.isDrawing()) return;
  if (popup.isOpen()) { popup.remove(); return; }
  if (actions.classList.contains('open')) { setMenu(false); menuButton.focus(); return; }
  if (!sitesAside.hidden && sitesPanel.closeSite()) return;
  if (!sheet.hidden) { closeSheet(); return; }
  if (!sitesAside.hidden) { closeSites(); sitesButton.focus(); return; }
  if (!qualifAside.hidden && qualif.closeResidence()) return;
  if (!qualifAside.hidden) { closeQualif(); qualifButton.focus(); return; }
  if (!panelAside.hidden && small.matches) { setPanel(false); panelButton.focus(); }
});

// A shared link: its basemap, sheet, site filters and campaign.
const fond = getHashParam('fond');
if (fond && [...basemapSelect.options].some((o) => o.value === fond)) {
  basemapSelect.value = fond;
  basemapSelect.dispatchEvent(new Event('change'));
}
const fiche = getHashParam('fiche');
const sharedSites = getHashParam('sites');
const sharedQualif = getHashParam('qualif');
if (sharedQualif !== null) {
  await qualif.restore(sharedQualif);
  await openQualif();
} else if (sharedSites !== null) {
  await sitesPanel.restore(sharedSites === '1' ? '' : sharedSites);
  openSites();
} else if (fiche) {
  showSheet(fiche, fiche);
}
setupPrint(map, layers);
window.bourg.showSheet = showSheet;
window.bourg.draw = draw;
window.bourg.qualif = qualif;
window.bourg.renderPng = () => renderPng(map, layers);
window.bourg.ready = true;
