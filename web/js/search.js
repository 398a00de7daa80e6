// Place search: a combobox over /api/search (communes, EPCIs, départements), accent- and
// case-insensitive on the server; each result says what it is.
import { escape } from './format.js';

export function setupSearch(input, list, onPick, { layers = [] } = {}) {
  // What a result is: its layer's noun (`noun` in the layer's TOML), else the layer's title.
  const kindOf = (r) => {
    const layer = layers.find((l) => l.id === r.layer);
    return layer?.noun?.one ?? layer?.title ?? '';
  };
  let results = [];
  let active = -1;
  let timer;
  const close = () => {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    active = -1;
  };
  const render = () => {
    list.replaceChildren(
      ...results.map((r, i) => {
        const li = document.createElement('li');
        li.id = `search-option-${i}`;
        li.setAttribute('role', 'option');
        li.setAttribute('aria-selected', String(i === active));
        li.innerHTML = `${escape(r.name)}<small>${escape([kindOf(r), r.code].filter(Boolean).join(' · '))}</small>`;
        li.addEventListener('mousedown', (e) => {
          e.preventDefault();
          pick(i);
        });
        return li;
      }),
    );
    list.hidden = results.length === 0;
    input.setAttribute('aria-expanded', String(results.length > 0));
    if (active >= 0) input.setAttribute('aria-activedescendant', `search-option-${active}`);
    else input.removeAttribute('aria-activedescendant');
  };
  const pick = (i) => {
    const r = results[i];
    if (!r) return;
    input.value = r.name;
    close();
    onPick(r);
  };
  const query = async () => {
    const q = input.value.trim();
    if (!q) {
      results = [];
      render();
      return;
    }
    const res = await fetch(`api/search?q=${encodeURIComponent(q)}&limit=8`);
    if (!res.ok) return;
    const body = await res.json();
    if (input.value.trim() !== q) return;
    results = body.results;
    active = results.length ? 0 : -1;
    render();
  };
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(query, 150);
  });
  input.addEventListener('keydown', async (e) => {
    if (e.key === 'ArrowDown' && results.length) {
      active = (active + 1) % results.length;
      render();
      e.preventDefault();
    } else if (e.key === 'ArrowUp' && results.length) {
      active = (active - 1 + results.length) % results.length;
      render();
      e.preventDefault();
    } else if (e.key === 'Enter') {
      e.preventDefault();
      clearTimeout(timer);
      if (!results.length || list.hidden) await query();
      pick(Math.max(active, 0));
    } else if (e.key === 'Escape' && !list.hidden) {
      e.preventDefault();
      close();
    }
  });
  input.addEventListener('blur', () => setTimeout(close, 100));
}
