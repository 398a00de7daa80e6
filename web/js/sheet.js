// The territory sheet: a commune's indicators from /api/territories/{code}, each with its source
// (producer, date, a mark when synthetic) and bars against its département and France (the national
// reference; none for the synthetic social stock).
import { escape, num, plural } from './format.js';
import { printButton } from './print.js';

function display(ind, value) {
  if (value === null || value === undefined) return 'non disponible';
  if (typeof value === 'object') return Object.entries(value).map(([k, v]) => `${escape(k)} : ${num(v)}`).join(', ') || '—';
  if (ind.unit === '%') return `${num(value)} %`;
  if (ind.unit === 'année') return escape(String(value));
  return num(value);
}

/** Bars for rates (percentages), where comparing with the département and France is meaningful. */
function bars(ind) {
  if (ind.unit !== '%') return '';
  const values = [ind.value, ind.departement, ind.france].filter((v) => typeof v === 'number');
  const max = Math.max(...values, 1);
  const bar = (label, v, cls) => (typeof v === 'number'
    ? `<div class="compare-row"><span class="compare-label">${label}</span><span class="compare-bar ${cls}" style="width:${(60 * v) / max}%"></span><span class="compare-value">${num(v)} %</span></div>`
    : '');
  return `<div class="compare">${bar('territoire', ind.value, 'own')}${bar('département', ind.departement, 'dep')}${bar('France', ind.france, 'all')}</div>`;
}

/** The département's and France's values of a count or breakdown, in words. */
function context(ind) {
  if (ind.unit === '%') return '';
  const parts = [];
  if (ind.departement !== null && ind.departement !== undefined) parts.push(`département : ${display(ind, ind.departement)}`);
  if (ind.france !== null && ind.france !== undefined) parts.push(`France : ${display(ind, ind.france)}`);
  return parts.length ? `<span class="context">${parts.join(' · ')}</span>` : '';
}

function source(s) {
  const synthetic = s.synthetic ? ' — <span class="badge">synthétique</span>' : '';
  return `<span class="src">${escape(s.producer)}, ${escape(s.date)}${synthetic}</span>`;
}

/** The value cell: an estimate marked "≈", a value that cannot be computed said so (never 0). */
function cell(ind) {
  if (ind.method === 'not_computable') return '<span class="na">non calculable à cette échelle</span>';
  const value = display(ind, ind.value);
  return ind.method === 'estimated' && ind.value !== null ? `<abbr title="estimation">≈</abbr>\u00a0${value}` : value;
}

/** How the value was found, when it is not a plain count (an estimate, communes touched). */
function note(ind) {
  return ind.note ? `<span class="note">${escape(ind.note)}</span>` : '';
}

/** Renders a report of /api/territories. */
export function renderReport(content, report) {
  const t = report.territory;
  const rows = report.indicators.map((ind) => `<tr data-indicator="${escape(ind.id)}" data-method="${escape(ind.method ?? 'exact')}"><th>${escape(ind.label)}${source(ind.source)}${bars(ind)}${context(ind)}${note(ind)}</th><td>${cell(ind)}</td></tr>`);
  const compared = [
    report.departement ? `au département ${escape(report.departement.name)}` : '',
    report.france ? `à la France (${plural(report.france.communes, 'commune', 'communes')} ; rien pour le parc social, synthétique)` : '',
  ].filter(Boolean).join(' et ');
  const partly = t.kind === 'polygone' && t.whole_communes !== undefined && t.whole_communes < t.communes;
  const communes = t.kind === 'polygone'
    ? `${plural(t.communes, 'commune touchée', 'communes touchées')}${partly ? ` (dont ${plural(t.communes - t.whole_communes, 'en partie', 'en partie')})` : ''}`
    : plural(t.communes, 'commune', 'communes');
  const estimated = report.indicators.some((i) => i.method === 'estimated' || i.method === 'not_computable')
    ? '<p class="method">Ce périmètre coupe des communes\u00a0: les chiffres publiés par commune y sont estimés au prorata de la surface (≈) ou non calculables ; les chiffres par résidence, bâtiment ou friche sont exacts.</p>'
    : '';
  content.innerHTML = `<h2>${escape(t.name)}</h2><p>${t.code ? `Code ${escape(t.code)} — ` : ''}${communes}${compared ? `, comparé ${compared}` : ''}.</p>${estimated}<table class="indicators">${rows.join('')}</table>`;
  content.querySelector('h2').after(printButton(report, content));
}

/** Opens the sheet of a territory code (commune INSEE code, EPCI SIREN, perimeter id). */
export async function openSheet(panel, content, code, name) {
  panel.hidden = false;
  content.innerHTML = `<h2>${escape(name)}</h2><p>Code ${escape(code)} — chargement…</p>`;
  const res = await fetch(`api/territories/${encodeURIComponent(code)}`);
  if (!res.ok) {
    const err = await res.json().catch(() => ({}));
    content.innerHTML = `<h2>${escape(name)}</h2><p>${escape(err.description ?? 'Indicateurs indisponibles.')}</p>`;
    return;
  }
  renderReport(content, await res.json());
}
