// The residences of a qualification campaign on the map: the campaign's tiles
// (/api/campaigns/{id}/tiles, layer `residences`) drawn as points coloured by progress (`etat`) or
// by consolidated score (`overall`, 1 red to 5 green), disagreements (`desaccord`) ringed, the open
// residence ringed in black. While they are drawn the stock's own residence layers (fragility
// colours) are hidden, and shown again after. Coordinates: WGS84 longitude/latitude.
import { escape } from './format.js';
import { isVisible, setVisible } from './panel.js';
import { DESACCORD, ETAT, NO_SCORE, RING, SCORE_COLORS } from './qualif-view.js';

const SOURCE = 'qualif';
/** The points, the disagreement rings, the open residence's ring. */
export const LAYER = 'qualif-residences';
const RING_LAYER = 'qualif-desaccord';
const SELECTED_LAYER = 'qualif-selected';

const radius = (extra) => ['interpolate', ['linear'], ['zoom'], 8, 2.5 + extra, 12, 5 + extra, 16, 9 + extra];

/** The colour of the points: by progress (`etat`) or by consolidated score (`score`). */
export function colorExpression(mode) {
  return mode === 'score'
    ? ['case', ['==', ['typeof', ['get', 'overall']], 'number'], ['interpolate', ['linear'], ['get', 'overall'], ...SCORE_COLORS.flat()], NO_SCORE]
    : ['match', ['get', 'etat'], ...ETAT.flatMap(([v, , c]) => [v, c]), NO_SCORE];
}

/** The width a side drawer takes from the map (0 when closed). */
const covered = (drawer) => (drawer && !drawer.hidden ? Math.round(drawer.getBoundingClientRect().width) : 0);

/**
 * The campaign's layers on `map`. `layers` are those of GET /layers (the ones with the
 * `residences` role are hidden meanwhile; `onLayers` runs when their visibility changed);
 * `drawer` is the qualification panel and `sidePanel` the layer panel, which the map keeps clear
 * of; `small` the phone media query.
 */
export function campaignLayers(map, { layers = [], drawer, sidePanel, small, onLayers } = {}) {
  let campaignId = null;
  let mode = 'etat';
  let selected = '';
  /** A new tile URL for every person and change: no tile fetched for someone else is reused. */
  let version = 0;
  let hidden = [];

  const tileUrl = () => `${new URL(`api/campaigns/${campaignId}/tiles/{z}/{x}/{y}.mvt`, window.location.href).href
    .replace(/%7B/g, '{').replace(/%7D/g, '}')}?v=${version}`;

  function hideResidenceLayers() {
    if (hidden.length) return;
    hidden = layers.filter((l) => l.role === 'residences' && isVisible(map, l.id)).map((l) => l.id);
    for (const id of hidden) setVisible(map, id, false);
    if (hidden.length) onLayers?.();
  }

  function showResidenceLayers() {
    if (!hidden.length) return;
    for (const id of hidden) setVisible(map, id, true);
    hidden = [];
    onLayers?.();
  }

  function remove() {
    for (const id of [SELECTED_LAYER, RING_LAYER, LAYER]) if (map.getLayer(id)) map.removeLayer(id);
    if (map.getSource(SOURCE)) map.removeSource(SOURCE);
    showResidenceLayers();
  }

  /** Draws a campaign's residences (again, for a new person: its tiles depend on who asks). */
  function show(id) {
    remove();
    campaignId = id;
    hideResidenceLayers();
    version += 1;
    map.addSource(SOURCE, { type: 'vector', tiles: [tileUrl()], maxzoom: 14 });
    const base = { type: 'circle', source: SOURCE, 'source-layer': 'residences' };
    map.addLayer({ ...base, id: LAYER,
      paint: { 'circle-radius': radius(0), 'circle-color': colorExpression(mode), 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 1 } });
    map.addLayer({ ...base, id: RING_LAYER, filter: ['==', ['get', 'desaccord'], true],
      paint: { 'circle-radius': radius(3.5), 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': RING, 'circle-stroke-width': 2.5 } });
    map.addLayer({ ...base, id: SELECTED_LAYER, filter: ['==', ['get', 'id'], selected],
      paint: { 'circle-radius': radius(6), 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': '#1e1e1e', 'circle-stroke-width': 3 } });
  }

  map.on('mouseenter', LAYER, () => { map.getCanvas().style.cursor = 'pointer'; });
  map.on('mouseleave', LAYER, () => { map.getCanvas().style.cursor = ''; });

  return {
    show,
    remove,
    /** Tiles drawn again after a change (a rating, a status). */
    refresh() {
      const source = map.getSource(SOURCE);
      if (!source) return;
      version += 1;
      source.setTiles([tileUrl()]);
    },
    /** Colours by progress (`etat`) or by consolidated score (`score`). */
    setMode(m) {
      mode = m;
      if (map.getLayer(LAYER)) map.setPaintProperty(LAYER, 'circle-color', colorExpression(mode));
    },
    /** Rings the open residence ('' or null: none). */
    select(rid) {
      selected = rid ?? '';
      if (map.getLayer(SELECTED_LAYER)) map.setFilter(SELECTED_LAYER, ['==', ['get', 'id'], selected]);
    },
    /** The legend of the current colours, as HTML. */
    legend(scale) {
      const rows = mode === 'score'
        ? [...SCORE_COLORS.map(([v, c]) => [c, `${v}${v === 1 ? ` ${scale[0].toLowerCase()}` : v === 5 ? ` ${scale[4].toLowerCase()}` : ''}`]), [NO_SCORE, 'pas encore de note consolidée']]
        : ETAT.map(([, label, c]) => [c, label]);
      return `${rows.map(([c, label]) => `<span class="row"><span class="swatch point" style="background:${c}"></span>${escape(label)}</span>`).join('')}`
        + `<span class="row"><span class="swatch point ring" style="border:2.5px solid ${RING}"></span>désaccord (écart de ${DESACCORD} points ou plus)</span>`
        + (hidden.length ? '<span class="hint">Les couleurs de fragilité du parc social sont masquées le temps de la qualification ; l’indice de chaque résidence est dans sa fiche.</span>' : '');
    },
    /** The id of the campaign's residence nearest a click (within 6 px), or null. */
    hit(e) {
      if (!map.getLayer(LAYER)) return null;
      const pad = 6;
      const hits = map.queryRenderedFeatures([[e.point.x - pad, e.point.y - pad], [e.point.x + pad, e.point.y + pad]], { layers: [LAYER] });
      if (!hits.length) return null;
      const dist = (f) => {
        const p = map.project(f.geometry.coordinates);
        return (p.x - e.point.x) ** 2 + (p.y - e.point.y) ** 2;
      };
      const id = hits.reduce((a, b) => (dist(b) < dist(a) ? b : a)).properties.id;
      return id === undefined ? null : String(id);
    },
    /** Fits a bbox ([west, south, east, north]) in what the drawers leave of the map. */
    fit(bbox) {
      // On a phone the drawer covers the bottom of the map: the territory fits above it.
      const padding = small?.matches ? { top: 20, left: 20, right: 20, bottom: Math.round(window.innerHeight * 0.6) }
        : { top: 40, bottom: 40, left: 40 + covered(sidePanel), right: 40 + covered(drawer) };
      map.fitBounds([[bbox[0], bbox[1]], [bbox[2], bbox[3]]], { padding, maxZoom: 14, duration: 800 });
    },
    /** Flies to a point, shown in the middle of what the drawers leave of the map: above the
     * bottom drawer on a phone, between the side panels on a wider screen. */
    flyTo(lon, lat) {
      const area = map.getContainer().getBoundingClientRect();
      const box = drawer.getBoundingClientRect();
      const offset = small?.matches
        ? [0, Math.round((box.top - area.top) / 2 - area.height / 2)]
        : [Math.round((covered(sidePanel) + box.left - area.left) / 2 - area.width / 2), 0];
      map.flyTo({ center: [lon, lat], zoom: Math.max(map.getZoom(), 15), offset });
    },
  };
}
