// "Dessiner sur la carte": an elected official draws a perimeter on the map, vertex by vertex, and
// gets it back as a GeoJSON polygon for its indicators. No dependency: one GeoJSON source and three
// layers (ids `draw-…`) on top of the style, driven by the buttons of the analyse form.

const SOURCE = 'draw';
const LAYERS = ['draw-fill', 'draw-line', 'draw-vertex'];
const COLOR = '#7b1fa2'; // purple: apart from the blues, reds and oranges of the layers
const HINT = 'Cliquez pour placer les sommets, double-cliquez ou « Terminer » pour fermer, Échap pour annuler.';
// A click this close (pixels) to the last vertex adds none: the second click of a double-click.
const SAME_PX = 5;

const round = (v) => Math.round(v * 1e6) / 1e6;

/** Twice the signed area of an open ring (lon/lat), positive when counter-clockwise. */
function signedArea(ring) {
  let a = 0;
  for (let i = 0; i < ring.length; i++) {
    const [x1, y1] = ring[i];
    const [x2, y2] = ring[(i + 1) % ring.length];
    a += x1 * y2 - x2 * y1;
  }
  return a;
}

/** The closed, counter-clockwise ring (RFC 7946) of a list of vertices. */
function closedRing(vertices) {
  const ring = vertices.map(([x, y]) => [round(x), round(y)]);
  if (signedArea(ring) < 0) ring.reverse();
  return [...ring, ring[0]];
}

const feature = (geometry, state) => ({ type: 'Feature', geometry, properties: { state } });

/**
 * Wires the drawing tool to its controls inside `root` (#draw-start, #draw-finish, #draw-cancel,
 * #draw-clear, #draw-hint). `onPolygon(feature)` receives each finished polygon as a GeoJSON Feature.
 */
export function setupDraw(map, { root, onPolygon }) {
  const el = (id) => root.querySelector(`#${id}`);
  const buttons = { start: el('draw-start'), finish: el('draw-finish'), cancel: el('draw-cancel'), clear: el('draw-clear') };
  const hint = el('draw-hint');

  let drawing = false;
  let vertices = []; // [lon, lat] of the polygon in progress
  let cursor = null; // where the mouse is, for the edge that follows it
  let polygon = null; // the closed ring of the finished polygon, kept until cleared
  let previous = null; // the polygon a new drawing replaces, back if it is cancelled
  let zoomOnDoubleClick = true;

  map.addSource(SOURCE, { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({
    id: 'draw-fill', type: 'fill', source: SOURCE,
    filter: ['all', ['==', ['geometry-type'], 'Polygon'], ['==', ['get', 'state'], 'drawing']],
    paint: { 'fill-color': COLOR, 'fill-opacity': 0.15 },
  });
  map.addLayer({
    id: 'draw-line', type: 'line', source: SOURCE,
    filter: ['!=', ['geometry-type'], 'Point'],
    layout: { 'line-join': 'round', 'line-cap': 'round' },
    paint: { 'line-color': COLOR, 'line-width': ['match', ['get', 'state'], 'done', 3, 2], 'line-opacity': 0.9 },
  });
  map.addLayer({
    id: 'draw-vertex', type: 'circle', source: SOURCE,
    filter: ['==', ['geometry-type'], 'Point'],
    paint: { 'circle-radius': 5, 'circle-color': '#fff', 'circle-stroke-color': COLOR, 'circle-stroke-width': 2 },
  });

  function render() {
    const features = [];
    if (drawing) {
      const ring = cursor ? [...vertices, cursor] : vertices;
      if (ring.length >= 3) features.push(feature({ type: 'Polygon', coordinates: [[...ring, ring[0]]] }, 'drawing'));
      else if (ring.length === 2) features.push(feature({ type: 'LineString', coordinates: ring }, 'drawing'));
      for (const v of vertices) features.push(feature({ type: 'Point', coordinates: v }, 'drawing'));
    } else if (polygon) {
      features.push(feature({ type: 'Polygon', coordinates: [polygon] }, 'done'));
    }
    map.getSource(SOURCE).setData({ type: 'FeatureCollection', features });
  }

  function sync() {
    buttons.start.hidden = drawing;
    buttons.finish.hidden = !drawing;
    buttons.cancel.hidden = !drawing;
    buttons.clear.hidden = drawing || !polygon;
    map.getContainer().classList.toggle('drawing', drawing);
    if (drawing) {
      const n = vertices.length;
      hint.textContent = `${HINT} ${n === 0 ? 'Aucun sommet placé.' : `${n} sommet${n > 1 ? 's' : ''} placé${n > 1 ? 's' : ''}.`}`;
    } else hint.textContent = '';
    render();
  }

  /** Gives the focus back to the form when the button that held it disappears. */
  function refocus(button) {
    const active = document.activeElement;
    if (!active || active === document.body || (root.contains(active) && active.hidden)) button.focus();
  }

  function start() {
    if (drawing) return;
    drawing = true;
    vertices = [];
    cursor = null;
    previous = polygon;
    polygon = null;
    zoomOnDoubleClick = map.doubleClickZoom.isEnabled();
    map.doubleClickZoom.disable();
    for (const id of LAYERS) map.moveLayer(id); // above layers added since (sites)
    sync();
    buttons.finish.focus();
  }

  function stop() {
    drawing = false;
    vertices = [];
    cursor = null;
    previous = null;
    if (zoomOnDoubleClick) map.doubleClickZoom.enable();
  }

  function cancel() {
    if (!drawing) return;
    const back = previous;
    stop();
    polygon = back;
    sync();
    refocus(buttons.start);
  }

  function finish() {
    if (!drawing) return;
    if (vertices.length < 3) {
      hint.textContent = `Placez au moins 3 sommets pour fermer le périmètre (${vertices.length} placé${vertices.length > 1 ? 's' : ''}). Échap pour annuler.`;
      return;
    }
    polygon = closedRing(vertices);
    stop();
    sync();
    refocus(buttons.start);
    onPolygon?.({ type: 'Feature', geometry: { type: 'Polygon', coordinates: [polygon] }, properties: {} });
  }

  function clear() {
    if (drawing) cancel();
    polygon = null;
    sync();
    refocus(buttons.start);
  }

  map.on('click', (e) => {
    if (!drawing) return;
    const last = vertices.at(-1);
    if (last) {
      const p = map.project(last);
      if (Math.hypot(p.x - e.point.x, p.y - e.point.y) < SAME_PX) return;
    }
    vertices.push([e.lngLat.lng, e.lngLat.lat]);
    sync();
  });
  map.on('dblclick', (e) => {
    if (!drawing) return;
    e.preventDefault(); // no zoom
    finish();
  });
  map.on('mousemove', (e) => {
    if (!drawing || vertices.length === 0) return;
    cursor = [e.lngLat.lng, e.lngLat.lat];
    render();
  });
  map.getCanvas().addEventListener('mouseleave', () => {
    if (!drawing || !cursor) return;
    cursor = null;
    render();
  });
  document.addEventListener('keydown', (e) => {
    if (drawing && e.key === 'Escape') {
      e.preventDefault();
      cancel();
    }
  });

  buttons.start.addEventListener('click', start);
  buttons.finish.addEventListener('click', finish);
  buttons.cancel.addEventListener('click', cancel);
  buttons.clear.addEventListener('click', clear);
  sync();

  return { isDrawing: () => drawing, start, finish, cancel, clear };
}
