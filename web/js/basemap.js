// The "Fond" menu: an online raster basemap under Bourg's own layers (OpenStreetMap, or the IGN
// Géoplateforme's Plan IGN, aerial photographs and cadastre, as WMTS in Web Mercator), or none.
// Offline, or when a server fails, the map says so politely and stays usable without a basemap;
// the message goes when another basemap is picked.

const geopf = (layer, style, format) => `https://data.geopf.fr/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=${layer}&STYLE=${encodeURIComponent(style)}&TILEMATRIXSET=PM&FORMAT=${format}&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}`;

export const BASEMAPS = {
  osm: { tiles: ['https://tile.openstreetmap.org/{z}/{x}/{y}.png'], tileSize: 256, maxzoom: 19, attribution: '© les contributeurs d’OpenStreetMap' },
  ign: { tiles: [geopf('GEOGRAPHICALGRIDSYSTEMS.PLANIGNV2', 'normal', 'image/png')], tileSize: 256, maxzoom: 19, attribution: '© IGN — Plan IGN' },
  ortho: { tiles: [geopf('ORTHOIMAGERY.ORTHOPHOTOS', 'normal', 'image/jpeg')], tileSize: 256, maxzoom: 19, attribution: '© IGN — Photographies aériennes (BD ORTHO®)' },
  cadastre: { tiles: [geopf('CADASTRALPARCELS.PARCELLAIRE_EXPRESS', 'PCI vecteur', 'image/png')], tileSize: 256, maxzoom: 19, attribution: '© IGN — Parcellaire Express (PCI), DGFiP' },
};

/** Failed tile loads of one basemap before the map says it is unavailable. */
const FAILURES = 3;
export const UNAVAILABLE = 'Fond de carte indisponible (hors ligne\u202F?) — la carte reste utilisable sans fond.';

const SOURCE = 'basemap';
const STATUS_STYLE = 'position:absolute;top:.5rem;left:50%;transform:translateX(-50%);z-index:3;max-width:90%;'
  + 'font-size:.85rem;border-radius:4px;pointer-events:none;';
const SHOWN_STYLE = 'background:#fff8e1;color:#5d4200;border:1px solid #e0b84c;padding:.35rem .7rem;box-shadow:0 1px 3px rgb(0 0 0 / 20%);';

/** Wires the `<select>` to the map; the status message is a `role="status"` line over the map. */
export function setupBasemap(map, select) {
  const status = document.createElement('p');
  status.id = 'basemap-status';
  status.setAttribute('role', 'status');
  // Present (and empty) from the start, so screen readers announce the message when it comes.
  const say = (text) => {
    status.textContent = text;
    status.style.cssText = STATUS_STYLE + (text ? SHOWN_STYLE : '');
  };
  say('');
  map.getContainer().append(status);

  let failures = 0;
  map.on('error', (e) => {
    if (e.sourceId !== SOURCE) {
      // A listener silences MapLibre's own logging of errors: keep it for everything else.
      console.error(e.error ?? e);
      return;
    }
    failures += 1;
    if (failures >= FAILURES) say(UNAVAILABLE);
  });

  select.addEventListener('change', () => {
    failures = 0;
    say('');
    if (map.getLayer(SOURCE)) map.removeLayer(SOURCE);
    if (map.getSource(SOURCE)) map.removeSource(SOURCE);
    const choice = BASEMAPS[select.value];
    if (!choice) return;
    map.addSource(SOURCE, { type: 'raster', ...choice });
    const first = map.getStyle().layers.find((l) => l.type !== 'background');
    map.addLayer({ id: SOURCE, type: 'raster', source: SOURCE }, first?.id);
  });
}
