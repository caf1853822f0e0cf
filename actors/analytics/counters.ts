// Turns events into rolling-count updates (pure): each count is written at every grain a
// report window reads, with the bucket's expiry. The consumers hand these to OnceOnlyApplier.
import type { Op } from './once-only.ts';
import { ALL, type AnalyticsKeys } from './keys.ts';
import type { ClickEvent, OrderEvent, SearchEvent } from './events.ts';
import { bucketOf, expireAtSec, normaliseQuery, type Grain } from './windows.ts';

function count(ops: Op[], key: (g: Grain, b: number) => string, grains: Grain[], at: number, member: string, delta: number): void {
  for (const g of grains) {
    const b = bucketOf(g, at);
    ops.push(['Z', key(g, b), member, delta, expireAtSec(g, b), 0]);
  }
}

/** Trending weights: a view or click counts 1, a search's top results 1/(rank+2) each. */
export const trendingWeights = { view: 1, click: 1, searchTop: 5 } as const;

export function searchOps(k: AnalyticsKeys, e: SearchEvent): Op[] {
  const ops: Op[] = [];
  const q = normaliseQuery(e.query);
  if (q !== '') count(ops, k.searches, ['m', 'h'], e.at, q.slice(0, 200), 1);
  (e.skus ?? []).slice(0, trendingWeights.searchTop).forEach((sku, rank) => count(ops, k.trending, ['m'], e.at, sku, 1 / (rank + 2)));
  return ops;
}

export function clickOps(k: AnalyticsKeys, e: ClickEvent): Op[] {
  const ops: Op[] = [];
  if (e.type === 'view') {
    count(ops, (g, b) => k.products('views', g, b), ['h', 'd'], e.at, e.sku, 1);
    count(ops, k.trending, ['m'], e.at, e.sku, trendingWeights.view);
  } else if (e.type === 'click') {
    count(ops, k.trending, ['m'], e.at, e.sku, trendingWeights.click);
  } else if (e.type === 'wishlist_add') {
    count(ops, (g, b) => k.products('wishlist', g, b), ['h', 'd'], e.at, e.sku, 1);
  }
  return ops;
}

/**
 * A paid order adds (a refund subtracts) revenue per category, orders per SKU and per
 * category, units per category and per SKU for the order's country and for all, and units
 * per SKU by day (the catalog's popularity).
 * `categoryOf` fills in lines that came without a category ("" when the SKU is unknown).
 */
export function orderOps(k: AnalyticsKeys, e: OrderEvent, sign: 1 | -1, categoryOf: (sku: string) => string): Op[] {
  const ops: Op[] = [];
  const countries = e.country ? [ALL, e.country] : [ALL];
  const perCategory = new Map<string, number>();
  for (const line of e.lines) {
    const category = line.category ?? categoryOf(line.sku);
    const amount = line.price * line.qty;
    perCategory.set(category, (perCategory.get(category) ?? 0) + amount);
    count(ops, (g, b) => k.products('orders', g, b), ['h', 'd'], e.at, line.sku, sign);
    count(ops, k.skuSold, ['d'], e.at, line.sku, sign * line.qty);
    if (category === '') continue;
    for (const c of countries) {
      count(ops, (g, b) => k.categoryUnits(c, g, b), ['h'], e.at, category, sign * line.qty);
      count(ops, (g, b) => k.skuUnits(c, category, g, b), ['h'], e.at, line.sku, sign * line.qty);
    }
  }
  const categories = [...perCategory.keys()];
  const gross = [...perCategory.values()];
  const revenue = e.goods === undefined ? gross : shareOut(e.goods, gross);
  let sum = 0;
  for (let i = 0; i < categories.length; i++) {
    const category = categories[i]!;
    const amount = revenue[i]!;
    sum += amount;
    const name = category === '' ? 'uncategorised' : category;
    count(ops, (g, b) => k.revenue(e.currency, g, b), ['m', 'h'], e.at, name, sign * amount);
    count(ops, (g, b) => k.revenueOrders(e.currency, g, b), ['m', 'h'], e.at, name, sign);
  }
  count(ops, k.currencies, ['m', 'h'], e.at, e.currency, sign * sum);
  return ops;
}

/**
 * `total` shared out over parts in proportion to their sizes, in whole minor units that add
 * up to `total` exactly: each part gets its floor, and the units left over go to the parts
 * with the largest remainders (the earlier part on a tie), so a refund takes back exactly
 * what its sale added. Parts that are all zero share nothing.
 */
export function shareOut(total: number, parts: number[]): number[] {
  const whole = parts.reduce((a, b) => a + b, 0);
  if (whole <= 0) return parts.map(() => 0);
  const shares = parts.map((p) => Math.floor((total * p) / whole));
  let left = total - shares.reduce((a, b) => a + b, 0);
  const byRemainder = parts.map((p, i) => ({ i, r: (total * p) % whole })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of byRemainder) {
    if (left <= 0) break;
    shares[i]!++;
    left--;
  }
  return shares;
}
