// The layer panel: toggles grouped by theme, a legend per layer, the producer and date of its data,
// and a badge on synthetic data. Visibility lives in the style (layout.visibility) and the URL hash.
import { escape } from './format.js';

const THEME_ORDER = ['parc_social', 'vacance', 'programmes', 'friches', 'contexte'];

/** Style layers drawing a Bourg layer. */
export function styleLayersOf(map, id) {
  return map.getStyle().layers.filter((l) => l.metadata?.['bourg:layer'] === id).map((l) => l.id);
}

export function isVisible(map, id) {
  const first = styleLayersOf(map, id)[0];
  return first !== undefined && map.getLayoutProperty(first, 'visibility') !== 'none';
}

export function setVisible(map, id, visible) {
  for (const styleLayer of styleLayersOf(map, id)) {
    map.setLayoutProperty(styleLayer, 'visibility', visible ? 'visible' : 'none');
  }
}

export function visibleLayers(map, layers) {
  return layers.filter((l) => isVisible(map, l.id)).map((l) => l.id);
}

function kindOf(layer) {
  return layer.geometry_type === 'Point' ? 'point' : 'area';
}

/** Legend rows of a layer: [{ color, label }]. */
export function legendRows(layer) {
  const s = layer.style;
  if (s.choropleth) {
    const { breaks, colors, unit } = s.choropleth;
    const rows = colors.map((color, i) => {
      const lo = i === 0 ? null : breaks[i - 1];
      const hi = i < breaks.length ? breaks[i] : null;
      const label = lo === null ? `moins de ${hi}` : hi === null ? `${lo} et plus` : `${lo} à ${hi}`;
      return { color, label };
    });
    rows.push({ color: '#d9d9d9', label: 'non publié / sans donnée' });
    // Groups of points carrying the mean and the maximum: coloured by the mean, ringed by the max.
    if (layer.geometry_type === 'Point' && layer.aggregate_below && layer.cell_stats?.includes(s.choropleth.property)) {
      rows.push({ color: colors[1], ring: colors[colors.length - 1], big: true, label: `groupe (sous le zoom ${layer.aggregate_below}) : couleur de la moyenne, anneau du maximum, taille selon le nombre` });
    }
    return { unit, rows };
  }
  if (s.categories) {
    const rows = Object.entries(s.categories.values).map(([label, color]) => ({ color, label }));
    rows.push({ color: '#d9d9d9', label: 'autre / sans donnée' });
    if (layer.geometry_type === 'Point' && layer.aggregate_below) {
      rows.push({ color: s.color, label: `regroupement sous le zoom ${layer.aggregate_below}`, big: true });
    }
    return { unit: '', rows };
  }
  const rows = [{ color: s.color, label: layer.geometry_type === 'Point' ? 'un objet' : 'contour' }];
  if (layer.geometry_type === 'Point' && layer.aggregate_below) {
    rows.push({ color: s.color, label: `regroupement sous le zoom ${layer.aggregate_below} (taille selon le nombre)`, big: true });
  }
  return { unit: '', rows };
}

function legendHtml(layer) {
  const { unit, rows } = legendRows(layer);
  const kind = kindOf(layer);
  return `<div class="legend">${unit ? `<div>${escape(unit)}</div>` : ''}${rows
    .map((r) => `<div class="row"><span class="swatch ${kind === 'point' ? 'point' : ''}" style="background:${r.color}${r.big ? ';width:1.2rem;height:1.2rem' : ''}${r.ring ? `;border:3px solid ${r.ring}` : ''}"></span>${escape(r.label)}</div>`)
    .join('')}</div>`;
}

/** Builds the panel; `onChange` runs after each toggle. */
export function buildPanel(container, map, layers, onChange) {
  const themes = new Map();
  for (const l of layers) {
    const key = l.style.theme;
    if (!themes.has(key)) themes.set(key, { title: l.theme_title, layers: [] });
    themes.get(key).layers.push(l);
  }
  const order = [...themes.keys()].sort((a, b) => THEME_ORDER.indexOf(a) - THEME_ORDER.indexOf(b));
  container.replaceChildren();
  for (const key of order) {
    const theme = themes.get(key);
    const section = document.createElement('section');
    section.innerHTML = `<h2>${escape(theme.title)}</h2>`;
    for (const l of theme.layers) {
      const div = document.createElement('div');
      div.className = 'layer';
      div.dataset.layer = l.id;
      const checked = isVisible(map, l.id) ? 'checked' : '';
      div.innerHTML = `<label><input type="checkbox" ${checked} data-layer="${escape(l.id)}"><span>${escape(l.title)}${
        l.synthetic ? '<span class="badge" title="Données générées, calées sur des agrégats réels">données synthétiques</span>' : ''
      }</span></label>${legendHtml(l)}<div class="source">${escape(l.attribution.producer)} — ${escape(l.attribution.date)}</div>`;
      div.querySelector('input').addEventListener('change', (e) => {
        setVisible(map, l.id, e.target.checked);
        onChange();
      });
      section.append(div);
    }
    container.append(section);
  }
}

/** Syncs the checkboxes with the map (after a hash is applied). */
export function syncPanel(container, map) {
  for (const input of container.querySelectorAll('input[data-layer]')) {
    input.checked = isVisible(map, input.dataset.layer);
  }
}
