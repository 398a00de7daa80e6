// Formatting helpers, in French.
export const escape = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const nf = new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 1 });
export const num = (v) => (v === null || v === undefined || v === '' ? '—' : typeof v === 'number' ? nf.format(v) : escape(v));
export const pct = (part, total) => (total > 0 ? `${nf.format((100 * part) / total)} %` : '—');
export const year = (v) => (v === null || v === undefined || v === '' ? '—' : escape(String(v)));
export const yesNo = (v) => (v === true ? 'oui' : v === false ? 'non' : '—');
