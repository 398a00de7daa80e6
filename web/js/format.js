// Formatting helpers, in French: numbers, percentages, years, dates, plurals, typography, and a
// property's value read through its layer's words (`formats` and `values` of GET /layers).
// Pure functions: the tests import this module directly in Node (tests/e2e/format.test.mjs).

/** No-break space (before a unit) and narrow no-break space (before `:` `;` `?` `!` `%`). */
export const NBSP = '\u00A0';
export const NNBSP = '\u202F';
/** What a missing value reads. */
export const MISSING = 'non disponible';

export const escape = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

const nf = new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 1 });
const missing = (v) => v === null || v === undefined || v === '' || (typeof v === 'number' && !Number.isFinite(v));

/** A number in French ("1 234,5"); text is escaped; a missing value is "—". */
export const num = (v) => (missing(v) ? '—' : typeof v === 'number' ? nf.format(v) : escape(v));
/** A number already in percent: "12,5 %" (narrow no-break space). */
export const percent = (v) => (missing(v) || typeof v !== 'number' ? '—' : `${nf.format(v)}${NNBSP}%`);
/** `part` in percent of `total`: "12,5 %"; "—" without a total. */
export const pct = (part, total) => (total > 0 && !missing(part) ? percent((100 * part) / total) : '—');
/** A year, never with a thousands separator ("2016"). */
export const year = (v) => (missing(v) ? '—' : escape(typeof v === 'number' ? String(Math.trunc(v)) : v));
export const yesNo = (v) => (v === true ? 'oui' : v === false ? 'non' : '—');

/** Whether a count takes the plural in French: 0 and 1 are singular. */
export const isPlural = (n) => Math.abs(n) >= 2;
/** A count and its noun: plural(1, 'logement', 'logements') is "1 logement", 2 gives "2 logements". */
export const plural = (n, one, many) => `${num(n)}${NBSP}${isPlural(n) ? many : one}`;

const MONTHS = ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août', 'septembre', 'octobre', 'novembre', 'décembre'];
/** An ISO date in words: "2023-03-07" is "7 mars 2023", "2024-09" "septembre 2024"; other text as is. */
export function date(v) {
  if (missing(v)) return '—';
  const m = /^(\d{4})-(\d{2})(?:-(\d{2}))?/.exec(String(v));
  const month = m ? MONTHS[Number(m[2]) - 1] : undefined;
  if (!month) return escape(v);
  if (!m[3]) return `${month} ${m[1]}`;
  const day = Number(m[3]);
  return `${day === 1 ? '1er' : day} ${month} ${m[1]}`;
}

/** French typography of generated text: a narrow no-break space before `:` `;` `?` `!` (HTML
 * entities such as `&amp;` are left alone). */
export const typo = (s) => String(s).replace(/(&#?\w+;)|[ \u00A0\u202F]*([:;?!])(?=\s|$)/g, (m, entity, mark) => entity ?? `${NNBSP}${mark}`);

/**
 * A property's value as HTML, read through its layer's words: `format` one of year, date,
 * percent, fraction, m2, years, score, code (see src/config/labels.rs); `texts` the human text of
 * codes. Booleans read oui/non; a missing value (or NaN) is "non disponible".
 */
export function formatValue(v, format, texts) {
  if (missing(v)) return MISSING;
  if (typeof v === 'boolean') return yesNo(v);
  const text = texts?.[String(v)];
  if (text !== undefined) return escape(text);
  if (typeof v !== 'number') return format === 'date' ? date(v) : escape(v);
  switch (format) {
    case 'year': return year(v);
    case 'code': return escape(String(v));
    case 'percent': return percent(v);
    case 'fraction': return percent(100 * v);
    case 'm2': return `${nf.format(v)}${NBSP}m²`;
    case 'years': return plural(v, 'an', 'ans');
    case 'score': return `${nf.format(v)} sur 100`;
    default: return nf.format(v);
  }
}
