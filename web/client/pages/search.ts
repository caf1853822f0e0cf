// Search results with facets (category, brand, attributes), a price range and sorting.
// Every filter is a link or a GET form, so results are shareable and Back works.
import { api } from '../api.ts';
import { errorNotice } from '../chrome.ts';
import { byId, categoryName, fromMinor, h, render, toMinor } from '../dom.ts';
import { productCard } from '../product-card.ts';
import type { SearchPage } from '../types.ts';

const sorts: [string, string][] = [['relevance', 'Best match'], ['price_asc', 'Price: low to high'], ['price_desc', 'Price: high to low'], ['newest', 'Newest']];

function withParam(params: URLSearchParams, key: string, value: string | null): string {
  const next = new URLSearchParams(params);
  next.delete('cursor');
  if (value === null) next.delete(key);
  else next.set(key, value);
  return `/search?${next}`;
}

function facetGroup(title: string, key: string, counts: Record<string, number> | undefined, params: URLSearchParams, label: (v: string) => string = (v) => v): HTMLElement | null {
  const entries = Object.entries(counts ?? {}).sort((a, b) => b[1] - a[1]).slice(0, 12);
  const active = params.get(key);
  if (entries.length === 0 && !active) return null;
  return h('section', { class: 'facet-group', 'aria-label': title },
    h('h3', null, title),
    active ? h('a', { class: 'clear', href: withParam(params, key, null) }, `✕ ${label(active)}`) : null,
    h('ul', null, entries.map(([value, n]) => h('li', null,
      h('a', { href: withParam(params, key, value), 'data-testid': 'facet', 'data-facet': key, 'data-value': value, 'aria-current': value === active ? 'true' : undefined },
        h('span', null, label(value)), h('span', { class: 'count' }, String(n)))))));
}

function priceForm(params: URLSearchParams): HTMLElement {
  const currency = 'USD';
  const value = (k: string) => {
    const v = params.get(k);
    return v === null ? '' : String(fromMinor(Number(v), currency));
  };
  const form = h('form', { class: 'price-form', 'aria-label': 'Price range' },
    h('h3', null, 'Price'),
    h('div', { class: 'row' },
      h('label', null, 'From ', h('input', { name: 'min', type: 'number', min: 0, step: 1, inputmode: 'decimal', value: value('minPrice') })),
      h('label', null, 'To ', h('input', { name: 'max', type: 'number', min: 0, step: 1, inputmode: 'decimal', value: value('maxPrice') }))),
    h('button', { type: 'submit', class: 'small' }, 'Apply'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const next = new URLSearchParams(params);
    next.delete('cursor');
    for (const [field, key] of [['min', 'minPrice'], ['max', 'maxPrice']] as const) {
      const raw = String(data.get(field) ?? '').trim();
      if (raw === '' || Number.isNaN(Number(raw))) next.delete(key);
      else next.set(key, String(toMinor(Number(raw), currency)));
    }
    location.assign(`/search?${next}`);
  });
  return form;
}

function sortSelect(params: URLSearchParams): HTMLElement {
  const select = h('select', { id: 'sort', name: 'sort' }, sorts.map(([v, label]) => h('option', { value: v, selected: (params.get('sort') ?? 'relevance') === v }, label)));
  select.addEventListener('change', () => location.assign(withParam(params, 'sort', select.value)));
  return h('div', { class: 'sort' }, h('label', { for: 'sort' }, 'Sort by '), select);
}

export async function searchPage(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const results = byId('results');
  const query = new URLSearchParams();
  for (const [k, v] of params) if (v !== '') query.append(k, v);
  query.set('limit', '24');
  let page: SearchPage;
  try {
    page = await api<SearchPage>('GET', `/v1/search?${query}`);
  } catch (err) {
    render(results, errorNotice(err));
    return;
  }
  const q = params.get('q');
  const attributeGroups = Object.entries(page.facets.attributes ?? {}).map(([name, counts]) => facetGroup(categoryName(name), `attr.${name}`, counts, params));
  render(byId('facets'),
    h('h2', { class: 'sr-only' }, 'Filters'),
    facetGroup('Category', 'category', page.facets.category, params, categoryName),
    facetGroup('Brand', 'brand', page.facets.brand, params),
    attributeGroups,
    priceForm(params));
  const grid = h('div', { class: 'grid' }, page.items.map(productCard));
  const more = h('button', { type: 'button', class: 'more' }, 'Show more');
  let cursor = page.nextCursor;
  more.hidden = !cursor;
  more.addEventListener('click', async () => {
    if (!cursor) return;
    more.disabled = true;
    query.set('cursor', cursor);
    try {
      const next = await api<SearchPage>('GET', `/v1/search?${query}`);
      const first = next.items[0];
      for (const p of next.items) grid.appendChild(productCard(p));
      cursor = next.nextCursor;
      more.hidden = !cursor;
      if (first) grid.querySelector<HTMLElement>(`[data-sku="${CSS.escape(first.sku)}"] a:not([tabindex])`)?.focus();
    } catch (err) {
      more.replaceWith(errorNotice(err));
    } finally {
      more.disabled = false;
    }
  });
  const heading = q ? `Results for “${q}”` : params.get('category') ? categoryName(params.get('category')!) : 'All products';
  render(results,
    h('div', { class: 'results-head' }, h('h1', null, heading), h('p', { class: 'muted', id: 'result-count' }, `${page.total} ${page.total === 1 ? 'product' : 'products'}`), sortSelect(params)),
    page.items.length ? grid : h('p', { class: 'notice' }, 'Nothing matches. Try fewer words or remove a filter.'),
    more);
}
