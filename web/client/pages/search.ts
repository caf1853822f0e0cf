// Search results with facets (category, brand, attributes), a price range and sorting.
// Every filter is a link or a GET form, so results are shareable and Back works.
import { api } from '../api.ts';
import { currentUser, errorNotice, loadFailedNotice } from '../chrome.ts';
import { byId, categoryName, formError, fromMinor, h, money, render, toMinor } from '../dom.ts';
import { productCard } from '../product-card.ts';
import type { SearchPage } from '../types.ts';

const sorts: [string, string][] = [['relevance', 'Best match'], ['price_asc', 'Price: low to high'], ['price_desc', 'Price: high to low'], ['newest', 'Newest']];
const currency = 'USD';
/** Filters sit beside the results on wide screens and behind a "Filters" toggle on a phone. */
const narrow = matchMedia('(max-width: 820px)');

function withParam(params: URLSearchParams, key: string, value: string | null): string {
  const next = new URLSearchParams(params);
  next.delete('cursor');
  if (value === null) next.delete(key);
  else next.set(key, value);
  return `/search?${next}`;
}

/** The URL without one value of a repeatable parameter (attr.color=red of red and blue), from the first page. */
function without(params: URLSearchParams, key: string, value: string): string {
  const next = new URLSearchParams([...params].filter(([k, v]) => k !== 'cursor' && !(k === key && v === value)));
  return `/search?${next}`;
}

/**
 * The filters in use, each with a ✕ that removes it, above the results. On a phone the
 * facets fold behind "Filters" (closed again on every page), which hid the only ✕; wider
 * screens show the facets' own ✕ and hide these (app.css).
 */
function activeFilters(params: URLSearchParams): HTMLElement | null {
  const chips: [string, string][] = [];
  for (const [key, value] of params) {
    if (value === '') continue;
    if (key === 'category') chips.push([categoryName(value), withParam(params, key, null)]);
    else if (key === 'brand') chips.push([value, withParam(params, key, null)]);
    else if (key.startsWith('attr.')) chips.push([`${categoryName(key.slice(5))}: ${value}`, without(params, key, value)]);
  }
  const [min, max] = [params.get('minPrice'), params.get('maxPrice')];
  if (min || max) {
    const next = new URLSearchParams(params);
    for (const key of ['minPrice', 'maxPrice', 'cursor']) next.delete(key);
    const price = (v: string | null) => (v && !Number.isNaN(Number(v)) ? money(Number(v), currency) : '');
    chips.push([min && max ? `${price(min)}–${price(max)}` : min ? `From ${price(min)}` : `Up to ${price(max)}`, `/search?${next}`]);
  }
  if (chips.length === 0) return null;
  return h('ul', { class: 'active-filters', 'aria-label': 'Filters in use' },
    chips.map(([label, href]) => h('li', null, h('a', { href, 'aria-label': `Remove the filter ${label}` }, `✕ ${label}`))));
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

/** A price in the URL (minor units) as the box shows it (dollars and cents). */
function priceInBox(params: URLSearchParams, key: 'minPrice' | 'maxPrice'): string {
  const v = params.get(key);
  return v === null || Number.isNaN(Number(v)) ? '' : String(fromMinor(Number(v), currency));
}

function priceForm(params: URLSearchParams): HTMLElement {
  const box = (name: string, key: 'minPrice' | 'maxPrice') =>
    h('input', { name, type: 'number', min: 0, step: '0.01', inputmode: 'decimal', value: priceInBox(params, key), 'aria-describedby': 'price-error' });
  const form = h('form', { class: 'price-form', 'aria-label': 'Price range', novalidate: true },
    h('h3', null, 'Price'),
    h('div', { class: 'row' }, h('label', null, 'From ', box('min', 'minPrice')), h('label', null, 'To ', box('max', 'maxPrice'))),
    h('p', { class: 'form-error', id: 'price-error', role: 'alert', hidden: true }),
    h('button', { type: 'submit', class: 'small' }, 'Apply'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const next = new URLSearchParams(params);
    next.delete('cursor');
    // Said here, next to the boxes, rather than by the server as "minPrice is above maxPrice".
    const prices: Partial<Record<'minPrice' | 'maxPrice', number>> = {};
    for (const [field, key] of [['min', 'minPrice'], ['max', 'maxPrice']] as const) {
      const raw = String(data.get(field) ?? '').trim();
      if (raw === '') {
        next.delete(key);
        continue;
      }
      const value = Number(raw);
      if (!Number.isFinite(value) || value < 0) return formError(form, 'Enter prices as amounts such as 20 or 19.99.');
      prices[key] = toMinor(value, currency);
      next.set(key, String(prices[key]));
    }
    if (prices.minPrice !== undefined && prices.maxPrice !== undefined && prices.minPrice > prices.maxPrice) {
      return formError(form, 'The “From” price is above the “To” price.');
    }
    location.assign(`/search?${next}`);
  });
  return form;
}

/**
 * The sort list. Arrow keys change a select's value at once, so a keyboard change is only
 * applied with Enter or the Sort button; a choice made with the mouse or a finger applies
 * as it is made.
 */
function sortForm(params: URLSearchParams): HTMLElement {
  const select = h('select', { id: 'sort', name: 'sort' }, sorts.map(([v, label]) => h('option', { value: v, selected: (params.get('sort') ?? 'relevance') === v }, label)));
  const form = h('form', { class: 'sort', 'aria-label': 'Sort' }, h('label', { for: 'sort' }, 'Sort by '), select, h('button', { type: 'submit', class: 'small' }, 'Sort'));
  const apply = () => location.assign(withParam(params, 'sort', select.value));
  let byPointer = false;
  select.addEventListener('pointerdown', () => (byPointer = true));
  select.addEventListener('keydown', (e) => {
    byPointer = false;
    if (e.key === 'Enter') {
      e.preventDefault();
      apply();
    }
  });
  select.addEventListener('change', () => byPointer && apply());
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    apply();
  });
  return form;
}

/**
 * Puts what the URL says back into the controls: a page shown again by Back keeps what was
 * typed or chosen before leaving (a sort that was then applied, prices), not the URL's.
 */
export function showUrlInControls(): void {
  const params = new URLSearchParams(location.search);
  const sort = byId<HTMLSelectElement>('sort');
  if (sort) sort.value = params.get('sort') ?? 'relevance';
  const form = document.querySelector<HTMLFormElement>('.price-form');
  if (form) {
    form.querySelector<HTMLInputElement>('input[name="min"]')!.value = priceInBox(params, 'minPrice');
    form.querySelector<HTMLInputElement>('input[name="max"]')!.value = priceInBox(params, 'maxPrice');
    formError(form, null);
  }
  const input = document.querySelector<HTMLInputElement>('[data-testid="search-input"]');
  if (input) input.value = params.get('q') ?? '';
}

/** The filters: the facets of the answer, or (when the search failed) the chosen ones and the price. */
function renderFilters(params: URLSearchParams, facets: SearchPage['facets'] = {}): void {
  const attributeNames = new Set([...Object.keys(facets.attributes ?? {}), ...[...params.keys()].filter((k) => k.startsWith('attr.')).map((k) => k.slice(5))]);
  render(byId('facets'),
    h('h2', { class: 'sr-only' }, 'Filters'),
    facetGroup('Category', 'category', facets.category, params, categoryName),
    facetGroup('Brand', 'brand', facets.brand, params),
    [...attributeNames].map((name) => facetGroup(categoryName(name), `attr.${name}`, facets.attributes?.[name], params)),
    priceForm(params));
}

/**
 * Whether nothing was found only because nothing here reaches the default address: asked
 * for a plain category page (no words or other filters) that came back empty, by listing
 * the category without an address (`/v1/products`, which is not counted as a search). A
 * search with words is not asked again: the second search would be counted in the search
 * analytics (top searches, completions, trending) as one the shopper made.
 */
async function deliveryHidesAll(params: URLSearchParams): Promise<boolean> {
  const category = params.get('category');
  const narrowed = [...params].some(([k, v]) => v !== '' && k !== 'category' && k !== 'sort' && k !== 'cursor');
  if (!category || narrowed) return false;
  const me = await currentUser().catch(() => null);
  if (!me?.defaultAddressId) return false;
  const anywhere = await api<SearchPage>('GET', `/v1/products?category=${encodeURIComponent(category)}&limit=1`, { token: null }).catch(() => null);
  return (anywhere?.items.length ?? 0) > 0;
}

/** "Show more": the next page in place; a failure keeps what is shown and offers to try again. */
function showMore(query: URLSearchParams, grid: HTMLElement, firstCursor: string | null): HTMLElement {
  const more = h('button', { type: 'button', class: 'more' }, 'Show more');
  const problem = h('div', { class: 'more-problem' });
  let cursor = firstCursor;
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
      more.textContent = 'Show more';
      render(problem);
      if (first) grid.querySelector<HTMLElement>(`[data-sku="${CSS.escape(first.sku)}"] a:not([tabindex])`)?.focus();
    } catch (err) {
      render(problem, errorNotice(err));
      more.textContent = 'Try again';
    } finally {
      more.disabled = false;
    }
  });
  return h('div', null, problem, more);
}

export async function searchPage(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const results = byId('results');
  const filters = byId<HTMLDetailsElement>('filters');
  if (filters) {
    filters.open = !narrow.matches;
    narrow.addEventListener('change', () => (filters.open = !narrow.matches));
  }
  window.addEventListener('popstate', showUrlInControls);
  const query = new URLSearchParams();
  for (const [k, v] of params) if (v !== '') query.append(k, v);
  query.set('limit', '24');
  // A bookmarked or typed URL with From above To: said next to the boxes, as the form says
  // it, not sent (the server's 422 read as a failed search).
  const [min, max] = [Number(params.get('minPrice') ?? NaN), Number(params.get('maxPrice') ?? NaN)];
  if (min > max) {
    renderFilters(params);
    if (filters) filters.open = true;
    const form = filters?.querySelector<HTMLFormElement>('form.price-form');
    if (form) formError(form, 'The lowest price is above the highest: change one of them.');
    render(results, h('p', { class: 'notice' }, 'Nothing to show for this price range: the lowest price is above the highest.'));
    return;
  }
  let page: SearchPage;
  try {
    page = await api<SearchPage>('GET', `/v1/search?${query}`);
  } catch (err) {
    // The filters stay, so a price range the server refused can be put right.
    renderFilters(params);
    if (filters) filters.open = true;
    render(results, loadFailedNotice(err));
    return;
  }
  // Words of only spaces are no words (the server searches everything): not “Results for “ ””.
  const q = params.get('q')?.trim();
  renderFilters(params, page.facets);
  const grid = h('div', { class: 'grid' }, page.items.map(productCard));
  // Search leaves out what cannot be delivered to the default address: said only where
  // that is why nothing was found, not for every empty search.
  const undeliverable = page.items.length ? false : await deliveryHidesAll(params);
  const nothing = h('div', null, h('p', { class: 'notice' }, 'Nothing matches. Try fewer words or remove a filter.'),
    undeliverable ? h('p', { class: 'muted', 'data-testid': 'undeliverable' }, 'There are products here, but none we can deliver to your default address. ', h('a', { href: '/account' }, 'Check your addresses'), '.') : null);
  const heading = q ? `Results for “${q}”` : params.get('category') ? categoryName(params.get('category')!) : 'All products';
  render(results,
    h('div', { class: 'results-head' }, h('h1', null, heading), h('p', { class: 'muted', id: 'result-count' }, `${page.total} ${page.total === 1 ? 'product' : 'products'}`), sortForm(params)),
    activeFilters(params),
    // The cards' titles are h3 (as in the homepage's sections): a heading between the
    // page's h1 and them keeps the outline a screen reader walks whole.
    page.items.length ? [h('h2', { class: 'sr-only' }, 'Products'), grid] : nothing,
    showMore(query, grid, page.nextCursor));
}
