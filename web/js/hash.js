// Shareable views: MapLibre keeps the camera in `#map=zoom/lat/lon`; beside it the page keeps the
// visible layers (`layers=a,b,c`), the open sheet (`fiche=62498`), the basemap (`fond=osm`), the
// site finder's filters and weights (`sites=t-62498~p-acv`) and the open qualification campaign
// (`qualif=7`, or `qualif=liste` with the panel open on none), so a copied link restores them.
import { setVisible, visibleLayers } from './panel.js';

function params() {
  return new URLSearchParams(window.location.hash.slice(1));
}

/** A value kept in the URL's hash (`null` when absent). */
export function getHashParam(key) {
  return params().get(key);
}

/** Sets (or, with `null`, removes) a value of the hash without a new history entry. */
export function setHashParam(key, value) {
  const p = params();
  if (value === null || value === undefined || value === '') p.delete(key);
  else p.set(key, value);
  // MapLibre reads `map=z/lat/lon` with its slashes as typed, and rewrites the hash from its
  // decoded parts: keep the characters a fragment allows unescaped (values hold no `&`, `=`, `%`).
  const hash = `#${p.toString().replace(/%2F/g, '/').replace(/%2C/g, ',').replace(/%3A/g, ':').replace(/%7E/g, '~')}`;
  window.history.replaceState(window.history.state, '', hash);
}

export function readLayersFromHash() {
  const value = getHashParam('layers');
  return value === null ? null : value.split(',').filter(Boolean);
}

export function applyLayersFromHash(map, layers) {
  const wanted = readLayersFromHash();
  if (wanted === null) return false;
  for (const l of layers) setVisible(map, l.id, wanted.includes(l.id));
  return true;
}

export function writeLayersToHash(map, layers) {
  setHashParam('layers', visibleLayers(map, layers).join(','));
}
