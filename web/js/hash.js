// Shareable views: MapLibre keeps the camera in `#map=zoom/lat/lon`; the visible layers go in
// `layers=a,b,c` beside it.
import { setVisible, visibleLayers } from './panel.js';

export function readLayersFromHash() {
  const params = new URLSearchParams(window.location.hash.slice(1));
  const value = params.get('layers');
  return value === null ? null : value.split(',').filter(Boolean);
}

export function applyLayersFromHash(map, layers) {
  const wanted = readLayersFromHash();
  if (wanted === null) return false;
  for (const l of layers) setVisible(map, l.id, wanted.includes(l.id));
  return true;
}

export function writeLayersToHash(map, layers) {
  const params = new URLSearchParams(window.location.hash.slice(1));
  params.set('layers', visibleLayers(map, layers).join(','));
  const hash = `#${decodeURIComponent(params.toString())}`;
  window.history.replaceState(window.history.state, '', hash);
}
