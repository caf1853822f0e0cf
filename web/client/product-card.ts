// A product as a card in a grid (search, homepage blocks, related products) and its stock badge.
import { categoryName, day, h, money } from './dom.ts';
import type { Product, StockStatus } from './types.ts';

export function stockOf(p: Pick<Product, 'stock'>): StockStatus | undefined {
  return typeof p.stock === 'string' ? p.stock : p.stock?.status;
}

const stockText: Record<StockStatus, string> = { in_stock: 'In stock', low: 'Only a few left', out_of_stock: 'Out of stock' };

export function stockBadge(status: StockStatus, testid?: string): HTMLElement {
  return h('span', { class: `stock ${status}`, 'data-testid': testid }, stockText[status] ?? status);
}

/** A coloured tile standing in for a photo: the hue comes from the SKU, the glyph from the category. */
export function thumb(sku: string, title: string, category?: string, size: 'small' | 'large' = 'small'): HTMLElement {
  // FNV-1a with a final mix, so SKUs that differ in one digit get far-apart hues.
  let hash = 0x811c9dc5;
  for (const ch of sku) hash = Math.imul(hash ^ ch.charCodeAt(0), 0x01000193);
  hash = Math.imul(hash ^ (hash >>> 15), 0x2c1b3c6d) >>> 0;
  const el = h('div', { class: `thumb ${size}`, 'aria-hidden': 'true' },
    h('span', null, title.split(/\s+/).filter((w) => /^[A-Za-z0-9]/.test(w)).slice(0, 2).map((w) => w[0] ?? '').join('').toUpperCase()),
    category ? h('small', null, categoryName(category)) : null);
  el.style.setProperty('--hue', String(hash % 360));
  return el;
}

export function productCard(p: Product): HTMLElement {
  const status = stockOf(p);
  const href = `/product/${encodeURIComponent(p.sku)}`;
  return h('article', { class: 'card', 'data-testid': 'product-card', 'data-sku': p.sku },
    h('a', { href, tabindex: -1, 'aria-hidden': 'true', class: 'thumb-link' }, thumb(p.sku, p.title, p.category)),
    h('h3', { class: 'card-title' }, h('a', { href }, p.title)),
    p.brand ? h('p', { class: 'muted small' }, p.brand) : null,
    h('p', { class: 'price', 'data-testid': 'product-price' }, money(p.price, p.currency)),
    status ? stockBadge(status) : null,
    p.delivery ? h('p', { class: 'eta small' }, `Arrives ${day(p.delivery.eta)}`) : null,
  );
}

export function productGrid(items: Product[]): HTMLElement {
  return h('div', { class: 'grid' }, items.map(productCard));
}
