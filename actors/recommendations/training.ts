// Item-to-item collaborative filtering, trained incrementally (pure: events → updates).
// Two items are related when the same shopper viewed them in one session (30 minutes) or
// bought them in one order (and, at half weight, in different orders of one user). Every
// contribution is weighted by recency: weight = 2^((at − epoch) / half-life), so a newer
// event counts more and old co-occurrences fade relative to new ones without rewriting
// anything. Popularity is kept with the same weights, and similarity divides it out.
import type { ClickEvent, Op, OrderEvent, SearchEvent } from '../analytics/index.ts';
import type { RecKeys } from './keys.ts';

export const SESSION_MS = 30 * 60_000;
export const HALF_LIFE_MS = 14 * 86_400_000;
const EPOCH = Date.UTC(2026, 0, 1);
const DAY_S = 86_400;

/** The recency weight of an event at `at`. */
export const decay = (at: number): number => 2 ** ((at - EPOCH) / HALF_LIFE_MS);

/** How much each kind of event says about a user's interest in a SKU. */
export const interest = { view: 1, click: 1.5, add_to_cart: 3, wishlist_add: 3, purchase: 5, search: 0.3 } as const;

export const limits = {
  sessionItems: 20,
  purchases: 50,
  history: 50,
  historyTtlS: 90 * DAY_S,
  boughtTtlS: 180 * DAY_S,
  sessionTtlS: 2 * 3600,
  coMax: 300,
  coTtlS: 120 * DAY_S,
} as const;

const actorOf = (e: { userId?: string; deviceId?: string }): string | undefined =>
  e.userId ? `u:${e.userId}` : e.deviceId ? `d:${e.deviceId}` : undefined;

function historyOps(k: RecKeys, userId: string, sku: string, weight: number, at: number): Op[] {
  return [['Z', k.history(userId), sku, weight, Math.floor(at / 1000) + limits.historyTtlS, limits.history]];
}

export function clickTrainingOps(k: RecKeys, e: ClickEvent, now: number): Op[] {
  const ops: Op[] = [];
  const w = decay(e.at);
  if (e.category) ops.push(['H', k.categories(), e.sku, e.category, 0, 0]);
  const actor = actorOf(e);
  if (actor) {
    ops.push(['P', k.recent(actor), e.sku, w, k.coViewPrefix(), e.at - SESSION_MS]);
    ops.push(['L', k.recent(actor), `${e.at}:${e.sku}`, limits.sessionItems, limits.sessionTtlS, 0]);
  }
  ops.push(['Z', k.popViews(), e.sku, w, 0, 0]);
  if (e.userId) ops.push(...historyOps(k, e.userId, e.sku, w * interest[e.type], Math.max(e.at, now)));
  return ops;
}

/** Paid orders only: refunds and other order events teach nothing here. */
export function orderTrainingOps(k: RecKeys, e: OrderEvent, categoryOf: (sku: string) => string, now: number): Op[] {
  if (e.type !== 'OrderPlaced') return [];
  const ops: Op[] = [];
  const w = decay(e.at);
  const skus = [...new Set(e.lines.map((l) => l.sku))];
  const coExpire = Math.floor(now / 1000) + limits.coTtlS;
  for (const l of e.lines) {
    const category = l.category ?? categoryOf(l.sku);
    if (category) ops.push(['H', k.categories(), l.sku, category, 0, 0]);
  }
  for (const a of skus) {
    ops.push(['Z', k.popBuys(), a, w, 0, 0]);
    for (const b of skus) if (a !== b) ops.push(['Z', k.coBuyPrefix() + a, b, w, coExpire, limits.coMax]);
  }
  if (e.userId) {
    // Pair with the user's earlier orders before adding this one's lines to that list.
    for (const a of skus) ops.push(['P', k.purchases(e.userId), a, w / 2, k.coBuyPrefix(), e.at - 90 * DAY_S * 1000]);
    for (const a of skus) {
      ops.push(['L', k.purchases(e.userId), `${e.at}:${a}`, limits.purchases, limits.boughtTtlS, 0]);
      ops.push(['A', k.bought(e.userId), a, limits.boughtTtlS, 0, 0]);
      ops.push(...historyOps(k, e.userId, a, w * interest.purchase, Math.max(e.at, now)));
    }
  }
  return ops;
}

/** A user's search says a little about interest in its top results. */
export function searchTrainingOps(k: RecKeys, e: SearchEvent, now: number): Op[] {
  if (!e.userId || !e.skus) return [];
  const w = decay(e.at) * interest.search;
  return e.skus.slice(0, 3).flatMap((sku) => historyOps(k, e.userId!, sku, w, Math.max(e.at, now)));
}

