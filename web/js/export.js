// "Exporter en PNG": the map as drawn, with the legends of the visible layers, their sources and
// the date, for a council meeting.
import { legendRows, visibleLayers } from './panel.js';

function capture(map) {
  return new Promise((resolve) => {
    map.once('render', () => resolve(map.getCanvas().toDataURL('image/png')));
    map.triggerRepaint();
  });
}

function loadImage(src) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = reject;
    img.src = src;
  });
}

/** Draws the export and returns it as a data URL. */
export async function renderPng(map, layers) {
  const img = await loadImage(await capture(map));
  const shown = layers.filter((l) => visibleLayers(map, layers).includes(l.id));
  const legendWidth = 340;
  const lines = shown.reduce((n, l) => n + 2 + legendRows(l).rows.length, 0);
  const height = Math.max(img.height, 90 + lines * 20);
  const canvas = document.createElement('canvas');
  canvas.width = img.width + legendWidth;
  canvas.height = height + 60;
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(img, 0, 0);
  let y = 30;
  const x = img.width + 16;
  ctx.fillStyle = '#1e1e1e';
  ctx.font = 'bold 18px sans-serif';
  ctx.fillText('Bourg — légende', x, y);
  y += 26;
  for (const l of shown) {
    ctx.font = 'bold 14px sans-serif';
    ctx.fillStyle = '#1e1e1e';
    ctx.fillText(l.title + (l.synthetic ? ' (données synthétiques)' : ''), x, y, legendWidth - 24);
    y += 20;
    for (const row of legendRows(l).rows) {
      ctx.fillStyle = row.color;
      ctx.fillRect(x, y - 11, 14, 14);
      ctx.fillStyle = '#444444';
      ctx.font = '13px sans-serif';
      ctx.fillText(row.label, x + 22, y, legendWidth - 46);
      y += 20;
    }
    y += 6;
  }
  ctx.fillStyle = '#444444';
  ctx.font = '12px sans-serif';
  const sources = [...new Set(shown.map((l) => `${l.attribution.producer} (${l.attribution.date})`))].join(' · ');
  const date = new Date().toLocaleDateString('fr-FR');
  ctx.fillText(`Sources : ${sources}`, 12, height + 22, canvas.width - 24);
  ctx.fillText(`Licence Ouverte 2.0 — carte produite avec Bourg le ${date}`, 12, height + 44, canvas.width - 24);
  return canvas.toDataURL('image/png');
}

export async function exportPng(map, layers) {
  const url = await renderPng(map, layers);
  const a = document.createElement('a');
  a.href = url;
  a.download = `bourg-carte-${new Date().toISOString().slice(0, 10)}.png`;
  document.body.append(a);
  a.click();
  a.remove();
}
