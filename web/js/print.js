// "Imprimer (A4)": a territory sheet as an A4 portrait page for a council meeting. A print-only
// section (print.css) holds the title, the date, the link to the printed view, the map rendered
// offscreen at print resolution (territory outlined, scale bar, north arrow), the legend of the
// visible layers, the sheet's indicators with their bars, the sources and, when any data shown is
// synthetic, a notice saying so. The browser prints it (window.print, "Enregistrer au format PDF").
// Coordinates are WGS84 longitude/latitude throughout.
import * as maplibregl from '../vendor/maplibre-gl/maplibre-gl.mjs';
import { escape } from './format.js';
import { legendRows, visibleLayers } from './panel.js';

const CSS_PX_PER_MM = 96 / 25.4;
/** The printed map: the A4 width less two 12 mm margins, by 110 mm. */
const MAP_MM = { width: 186, height: 110 };
/** Wanted and least acceptable resolutions of the printed map. */
const DPI = 300;
const MIN_DPI = 200;
/** The scale bar is at most this share of the map's width. */
const SCALE_MAX_SHARE = 0.25;

const KINDS = {
  commune: 'commune',
  epci: 'intercommunalité',
  departement: 'département',
  perimetre: 'périmètre',
  polygone: 'périmètre dessiné',
  ensemble: 'ensemble de communes',
};

const state = { map: null, layers: [] };

/** Wires printing to the map and its catalogue (`/layers`); call once. */
export function setupPrint(map, layers) {
  state.map = map;
  state.layers = layers;
  window.addEventListener('afterprint', () => {
    document.body.classList.remove('bourg-printing');
    document.getElementById('print-sheet')?.remove();
  });
}

/** The "Imprimer (A4)" button of a sheet showing `report` (its table is read from `content`). */
export function printButton(report, content) {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'print-open';
  button.textContent = 'Imprimer (A4)';
  button.addEventListener('click', async () => {
    if (button.getAttribute('aria-busy') === 'true' || !state.map) return;
    button.setAttribute('aria-busy', 'true');
    button.textContent = 'Préparation de l’impression…';
    try {
      await preparePrint(report, content.querySelector('table.indicators'));
      window.print();
    } catch (e) {
      console.warn('print failed', e);
      button.textContent = 'Impression impossible — réessayer';
      button.removeAttribute('aria-busy');
      return;
    }
    button.textContent = 'Imprimer (A4)';
    button.removeAttribute('aria-busy');
    button.focus();
  });
  return button;
}

/** Title line: "Lens — commune (62498)". */
export function titleOf(territory) {
  const kind = KINDS[territory.kind] ?? territory.kind;
  const code = territory.code && !territory.name.includes(territory.code) ? ` (${territory.code})` : '';
  return `${territory.name} — ${kind}${code}`;
}

/** The OGC items queries that find a territory's outline (polygon layers only), most specific first. */
function outlineQueries(territory) {
  const areas = state.layers.filter((l) => ['Polygon', 'Geometry'].includes(l.geometry_type));
  const q = (layer, key) => (areas.some((l) => l.id === layer && l.properties.some((p) => p.name === key)) ? [{ layer, key }] : []);
  switch (territory.kind) {
    case 'commune': return q('communes', 'code');
    case 'epci': return [...q('epci', 'siren_epci'), ...q('communes', 'epci')];
    case 'departement': return [...q('departements', 'dep'), ...q('communes', 'dep')];
    case 'perimetre': return areas.flatMap((l) => l.properties
      .filter((p) => /^id_(acv|pvd)$/.test(p.name)).map((p) => ({ layer: l.id, key: p.name })));
    default: return [];
  }
}

/** The territory's polygons as a FeatureCollection, or null when no layer has them. */
async function fetchOutline(territory) {
  for (const { layer, key } of outlineQueries(territory)) {
    const params = new URLSearchParams({ [key]: territory.code, limit: '1000', properties: key });
    const res = await fetch(`ogc/collections/${encodeURIComponent(layer)}/items?${params}`);
    if (!res.ok) continue;
    const fc = await res.json();
    if (fc.features?.length) return { type: 'FeatureCollection', features: fc.features };
  }
  return null;
}

/** [[west, south], [east, north]] of a FeatureCollection. */
function boundsOf(fc) {
  let [w, s, e, n] = [Infinity, Infinity, -Infinity, -Infinity];
  const walk = (c) => {
    if (typeof c[0] === 'number') {
      w = Math.min(w, c[0]); e = Math.max(e, c[0]); s = Math.min(s, c[1]); n = Math.max(n, c[1]);
    } else c.forEach(walk);
  };
  for (const f of fc.features) if (f.geometry) walk(f.geometry.coordinates);
  return Number.isFinite(w) ? [[w, s], [e, n]] : null;
}

/** The largest canvas side WebGL allows here (texture, renderbuffer and viewport limits). */
function maxCanvasSide() {
  const canvas = document.createElement('canvas');
  const gl = canvas.getContext('webgl2') ?? canvas.getContext('webgl');
  if (!gl) return 4096;
  const [vw, vh] = gl.getParameter(gl.MAX_VIEWPORT_DIMS);
  const side = Math.min(gl.getParameter(gl.MAX_TEXTURE_SIZE), gl.getParameter(gl.MAX_RENDERBUFFER_SIZE), vw, vh);
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  return side;
}

/**
 * Renders the view in an offscreen map of the printed size at print resolution (capped by WebGL)
 * and resolves to the PNG and the camera it was drawn with.
 */
async function renderMap(bounds, outline) {
  const width = Math.round(MAP_MM.width * CSS_PX_PER_MM);
  const height = Math.round(MAP_MM.height * CSS_PX_PER_MM);
  const maxSide = Math.min(maxCanvasSide(), 8192);
  const ratio = Math.min(DPI / 96, maxSide / Math.max(width, height));
  const container = document.createElement('div');
  container.setAttribute('aria-hidden', 'true');
  container.style.cssText = `position:fixed;left:-20000px;top:0;width:${width}px;height:${height}px`;
  document.body.append(container);
  const style = state.map.getStyle();
  if (outline) {
    style.sources['print-outline'] = { type: 'geojson', data: outline };
    style.layers.push(
      { id: 'print-outline-casing', type: 'line', source: 'print-outline', paint: { 'line-color': '#ffffff', 'line-width': 5 } },
      { id: 'print-outline', type: 'line', source: 'print-outline', paint: { 'line-color': '#1f3f8f', 'line-width': 2.5 } },
    );
  }
  const camera = bounds
    ? { bounds, fitBoundsOptions: { padding: 28, maxZoom: 15 } }
    : { center: state.map.getCenter(), zoom: state.map.getZoom() };
  const printMap = new maplibregl.Map({
    container,
    style,
    ...camera,
    bearing: state.map.getBearing(),
    pixelRatio: ratio,
    maxCanvasSize: [maxSide, maxSide],
    interactive: false,
    attributionControl: false,
    fadeDuration: 0,
    canvasContextAttributes: { preserveDrawingBuffer: true },
  });
  try {
    await idleWithin(printMap, 120_000);
    const c = printMap.getCenter();
    const b = printMap.getBounds();
    return {
      url: printMap.getCanvas().toDataURL('image/png'),
      width,
      height,
      pixelRatio: printMap.getPixelRatio(),
      zoom: printMap.getZoom(),
      center: [c.lng, c.lat],
      bearing: printMap.getBearing(),
      bbox: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()],
      // Metres per CSS pixel at the centre, measured on the map (great-circle distance of 100 px).
      metresPerPixel: printMap.unproject([width / 2 - 50, height / 2]).distanceTo(printMap.unproject([width / 2 + 50, height / 2])) / 100,
      maxSide,
    };
  } finally {
    printMap.remove();
    container.remove();
  }
}

/** Resolves when the map is idle; rejects after `ms` (a tile that never answers). */
function idleWithin(map, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the print map was not idle after ${ms} ms`)), ms);
    map.once('idle', () => { clearTimeout(timer); resolve(); });
  });
}

/** A round length (1, 2 or 5 × 10ⁿ metres) no longer than `maxMetres`, with its label. */
export function roundLength(maxMetres) {
  const pow = 10 ** Math.floor(Math.log10(maxMetres));
  const metres = [5, 2, 1].map((k) => k * pow).find((m) => m <= maxMetres);
  return { metres, label: metres >= 1000 ? `${metres / 1000} km` : `${metres} m` };
}

function scaleBarHtml(view) {
  const { metres, label } = roundLength(view.metresPerPixel * view.width * SCALE_MAX_SHARE);
  const share = (100 * metres) / (view.metresPerPixel * view.width); // of the map's width
  return `<div class="print-scale" data-metres="${metres}"><span class="print-scale-bar" style="width:${share.toFixed(3)}%"></span><span class="print-scale-label">${label}</span></div>`;
}

function northArrowHtml(bearing) {
  return `<div class="print-north" role="img" aria-label="Nord" style="transform:rotate(${-bearing}deg)">
<svg viewBox="0 0 24 36" width="24" height="36" aria-hidden="true"><text x="12" y="10" text-anchor="middle" font-size="10" font-weight="700">N</text>
<path d="M12 12 L19 34 L12 29 L5 34 Z" fill="#fff" stroke="#000" stroke-width="1.2"/><path d="M12 12 L12 29 L5 34 Z" fill="#000"/></svg></div>`;
}

function legendHtml(shown, sources) {
  const blocks = shown.map((l) => {
    const { unit, rows } = legendRows(l);
    const kind = l.geometry_type === 'Point' ? 'point' : 'area';
    const ref = sources.numberOf(l.attribution);
    return `<div class="print-legend-layer"><h3>${escape(l.title)} <span class="print-ref">[${ref}]</span>${l.synthetic ? ' <span class="print-badge">synthétique</span>' : ''}</h3>${
      unit ? `<div class="print-unit">${escape(unit)}</div>` : ''}${rows.map((r) => `<div class="print-legend-row"><span class="print-swatch ${kind}" style="background:${escape(r.color)}"></span>${escape(r.label)}</div>`).join('')}</div>`;
  });
  return `<section class="print-legend"><h2>Légende</h2><div class="print-legend-grid">${blocks.join('') || '<p>Aucune couche affichée.</p>'}</div></section>`;
}

/**
 * The sources, once each (by producer and date): of the visible layers, of the indicators and of
 * the basemap, numbered so the indicators' rows can refer to them.
 */
function sourcesOf(shown, report) {
  const byKey = new Map();
  const entry = (producer, date, licence) => {
    const key = `${producer}|${date}`;
    if (!byKey.has(key)) byKey.set(key, { producer, date, licence, layers: [], indicators: 0, synthetic: false });
    return byKey.get(key);
  };
  for (const l of shown) {
    const e = entry(l.attribution.producer, l.attribution.date, l.attribution.licence);
    e.layers.push(l.title);
    e.synthetic ||= l.synthetic;
  }
  for (const ind of report.indicators) {
    for (const s of [ind.source, ind.france_source]) {
      if (!s) continue;
      const licence = state.layers.find((l) => l.id === s.layer)?.attribution.licence;
      const e = entry(s.producer, s.date, licence);
      if (s === ind.source) e.indicators += 1;
      e.synthetic ||= s.synthetic;
    }
  }
  const list = [...byKey.values()];
  list.forEach((e, i) => { e.number = i + 1; });
  return { list, numberOf: (s) => byKey.get(`${s.producer}|${s.date}`)?.number };
}

function sourcesHtml(sources) {
  const licences = [...new Set(sources.list.map((e) => e.licence).filter(Boolean))];
  const one = licences.length === 1;
  const items = sources.list.map((e) => `<li value="${e.number}">${escape(e.producer)}, ${escape(e.date)}${
    e.licence && !one ? `, ${escape(e.licence)}` : ''}${e.synthetic ? ' — <em>données synthétiques</em>' : ''}</li>`);
  const basemap = state.map.getSource('basemap')?.attribution;
  if (basemap) items.push(`<li class="print-basemap">Fond de carte : ${escape(basemap)}</li>`);
  return `<section class="print-sources"><h2>Sources${one ? ` <span class="print-licence">(${escape(licences[0])})</span>` : ''}</h2><ol>${items.join('')}</ol></section>`;
}

/**
 * The sheet's table for print: each row's source (producer, date) becomes the number of its entry
 * in the sources list, kept with its synthetic mark. Rows follow `report.indicators`.
 */
function indicatorsTable(table, report, sources) {
  const copy = table.cloneNode(true);
  copy.querySelectorAll('tr').forEach((tr, i) => {
    const ind = report.indicators[i];
    const src = tr.querySelector('.src');
    if (!ind || !src) return;
    const ref = document.createElement('span');
    ref.className = 'print-ref';
    ref.innerHTML = ` [${sources.numberOf(ind.source)}]${ind.source.synthetic ? ' <em>synthétique</em>' : ''}`;
    src.replaceWith(ref);
  });
  return copy;
}

function syntheticHtml(shown, report) {
  const layers = shown.filter((l) => l.synthetic).map((l) => `« ${escape(l.title)} »`);
  const indicators = report.indicators.some((i) => i.source?.synthetic);
  if (!layers.length && !indicators) return '';
  const parts = [];
  if (layers.length) parts.push(`${layers.length > 1 ? 'les couches' : 'la couche'} ${layers.join(', ')}`);
  if (indicators) parts.push('les indicateurs marqués « synthétique »');
  return `<aside class="print-synthetic" role="note"><strong>Données synthétiques :</strong> ${parts.join(' et ')} sont générés par Bourg, calés sur des agrégats publics réels (INSEE, Cerema LOVAC, ANCT). Ils ne décrivent pas des logements ni des bâtiments réels.</aside>`;
}

/** The link to the printed view: this page with the printed map's camera in the hash. */
function viewUrl(view) {
  const params = new URLSearchParams(window.location.hash.slice(1));
  params.set('map', `${view.zoom.toFixed(2)}/${view.center[1].toFixed(5)}/${view.center[0].toFixed(5)}`);
  return `${window.location.origin}${window.location.pathname}#${decodeURIComponent(params.toString())}`;
}

function resolutionNote(view) {
  const dpi = Math.round((view.pixelRatio * 96));
  const limited = dpi < DPI ? ` (limitée par le navigateur : ${view.maxSide} px au plus par côté)` : '';
  const low = dpi < MIN_DPI ? ' — en dessous de 200 dpi, l’impression sera moins nette' : '';
  return `Carte rendue à ${dpi} dpi${limited}${low}.`;
}

/** Builds the print-only section for a report and its sheet's table; resolves when ready. */
export async function preparePrint(report, table) {
  const territory = report.territory;
  const outline = territory.code ? await fetchOutline(territory).catch(() => null) : null;
  const bounds = outline ? boundsOf(outline) : null;
  const view = await renderMap(bounds, outline);
  const shown = state.layers.filter((l) => visibleLayers(state.map, state.layers).includes(l.id));
  const date = new Date().toLocaleDateString('fr-FR', { day: 'numeric', month: 'long', year: 'numeric' });
  const url = viewUrl(view);
  const sources = sourcesOf(shown, report);
  const dep = report.departement ? `Comparaison : département ${escape(report.departement.name)}${report.france ? ' et France' : ''}.` : '';
  const section = document.createElement('section');
  section.id = 'print-sheet';
  section.setAttribute('aria-label', 'Page à imprimer');
  section.innerHTML = `<header class="print-head">
<div class="print-brand"><span><strong>Bourg</strong> · revitalisation des centres-villes</span><span class="print-date">${escape(date)}</span></div>
<h1 class="print-title">${escape(titleOf(territory))}</h1>
<p class="print-meta">${territory.communes ? `${territory.communes} commune${territory.communes > 1 ? 's' : ''}. ` : ''}${dep}</p>
<p class="print-link">Vue en ligne : <a href="${escape(url)}">${escape(url)}</a></p>
</header>
${syntheticHtml(shown, report)}
<figure class="print-map">
<div class="print-map-frame">
<img class="print-map-image" src="${view.url}" alt="Carte de ${escape(territory.name)}" data-zoom="${view.zoom}" data-lat="${view.center[1]}" data-lon="${view.center[0]}" data-bbox="${view.bbox.join(',')}" data-pixel-ratio="${view.pixelRatio}" data-css-width="${view.width}">
${northArrowHtml(view.bearing)}
${scaleBarHtml(view)}
</div>
<figcaption>${outline ? 'Contour du territoire en bleu. ' : ''}${resolutionNote(view)}</figcaption>
</figure>
${legendHtml(shown, sources)}
${sourcesHtml(sources)}
<section class="print-indicators"><h2>Indicateurs</h2><p class="print-note">Entre crochets, le numéro de la source (liste « Sources » ci-dessus).</p></section>`;
  if (table) section.querySelector('.print-indicators').append(indicatorsTable(table, report, sources));
  else section.querySelector('.print-indicators').insertAdjacentHTML('beforeend', '<p>Indicateurs non disponibles.</p>');
  document.getElementById('print-sheet')?.remove();
  document.body.append(section);
  await section.querySelector('.print-map-image').decode();
  document.body.classList.add('bourg-printing');
}
