// Turns the co-occurrence counts into the stored outputs: a SKU's related list (cosine
// similarity: co-count / √(popularity × popularity), shrunk when the evidence is thin) and
// a user's recommendations (related items of what they looked at and bought, weighted by
// their interest in each, minus what they already know or bought). Both are recomputed
// from the counts, so running them twice gives the same result.
import type { Redis } from 'ioredis';
import type { RecKeys } from './keys.ts';
import type { RelatedList, UserRecs } from './model.ts';
import { decay } from './training.ts';

const RELATED_KEEP = 40;
const USER_KEEP = 100;
const HISTORY_READ = 30;
const OUTPUT_TTL_S = 90 * 86_400;
/** Fewer recommendations than this from what others did: topped up from the user's own categories. */
const USER_TOP_UP = 24;
/** The user's categories (by interest) that the top-up draws from. */
const TOP_UP_CATEGORIES = 3;

/**
 * Products of a category (its subtree), best first: the catalog's listing. Where others'
 * co-occurrences say nothing yet (a new shop, a niche), a user's recommendations come from
 * the categories they looked at and bought in (API.md: "from the user's views, searches and
 * orders"), not from nothing.
 */
export type CategoryListing = (category: string, limit: number) => Promise<Array<[sku: string, category: string]>>;

/**
 * `recs` topped up to USER_TOP_UP buyable ones with products of the user's best categories
 * (listed in stock), each scored below every collaborative one (and by its category's weight
 * and its rank there), minus what the user already knows or bought. `buyable` is how many
 * of `recs` are in stock: out-of-stock ones are dropped when the list is read, so counting
 * them left a user 7 of 24 (an audit: the rest sold out or new products not yet stocked).
 */
export async function topUpFromCategories(
  recs: Array<[string, number]>, history: Array<[string, number]>, categoryOf: Map<string, string>, exclude: Set<string>,
  listing: (category: string) => Promise<Array<[string, string]>>, buyable = recs.length,
): Promise<Array<[string, number]>> {
  if (buyable >= USER_TOP_UP || history.length === 0) return recs;
  const weight = new Map<string, number>();
  for (const [sku, h] of history) {
    const c = categoryOf.get(sku);
    if (c) weight.set(c, (weight.get(c) ?? 0) + h);
  }
  const categories = [...weight].sort((a, b) => b[1] - a[1]).slice(0, TOP_UP_CATEGORIES);
  const total = categories.reduce((n, [, w]) => n + w, 0);
  if (total <= 0) return recs;
  const floor = recs.length > 0 ? Math.min(...recs.map(([, s]) => s)) : 1;
  const taken = new Set(recs.map(([s]) => s));
  const out = [...recs];
  // A listing that fails (the catalog busy) leaves the recommendations as they were.
  const lists = await Promise.all(categories.map(([c]) => listing(c).catch(() => [] as Array<[string, string]>)));
  const extra: Array<[string, number]> = [];
  lists.forEach((listed, i) => {
    const share = categories[i]![1] / total;
    listed.forEach(([sku, category], rank) => {
      if (exclude.has(sku) || taken.has(sku)) return;
      taken.add(sku);
      // Its own category (a leaf under the one listed), for the hidden-category filter.
      categoryOf.set(sku, category);
      extra.push([sku, floor * 0.5 * share / (rank + 1)]);
    });
  });
  extra.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  let have = buyable;
  for (const e of extra) {
    if (have >= USER_TOP_UP) break;
    out.push(e);
    have++;
  }
  return out;
}

function pairs(flat: string[]): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, Number(flat[i + 1])]);
  return out;
}

/** Similarities of one SKU's neighbours, best first. `unit` is the weight of one event now. */
export function similar(co: Array<[string, number]>, self: number, pop: Map<string, number>, unit: number): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (const [sku, c] of co) {
    const other = pop.get(sku) ?? 0;
    if (c <= 0 || self <= 0 || other <= 0) continue;
    const events = c / unit;
    out.push([sku, (c / Math.sqrt(self * other)) * (events / (events + 1))]);
  }
  return out.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, RELATED_KEEP);
}

/** Scores candidates for a user from the related lists of what they interacted with. */
export function scoreForUser(history: Array<[string, number]>, related: Map<string, RelatedList>, exclude: Set<string>): Array<[string, number]> {
  const top = history[0]?.[1] ?? 0;
  if (top <= 0) return [];
  const scores = new Map<string, number>();
  for (const [item, h] of history) {
    const list = related.get(item);
    if (!list) continue;
    const weight = h / top;
    for (const [sku, s] of list.buy) if (!exclude.has(sku)) scores.set(sku, (scores.get(sku) ?? 0) + weight * s);
    for (const [sku, s] of list.view) if (!exclude.has(sku)) scores.set(sku, (scores.get(sku) ?? 0) + weight * s);
  }
  return [...scores].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, USER_KEEP);
}

export class RecModel {
  constructor(
    private readonly redis: Redis, readonly keys: RecKeys, private readonly now: () => number = Date.now, private readonly listing?: CategoryListing,
    /** Which of these SKUs are out of stock now (the catalog's set); without it every candidate counts as buyable. */
    private readonly outOfStock?: (skus: string[]) => Promise<Set<string>>,
  ) {}

  /** Recomputes the related lists of `skus`. */
  async recomputeRelated(skus: string[]): Promise<void> {
    if (skus.length === 0) return;
    const k = this.keys;
    const p = this.redis.pipeline();
    for (const sku of skus) {
      p.zrange(k.coBuyPrefix() + sku, 0, 99, 'REV', 'WITHSCORES');
      p.zrange(k.coViewPrefix() + sku, 0, 99, 'REV', 'WITHSCORES');
    }
    const res = (await p.exec()) ?? [];
    const co = skus.map((_, i) => ({ buy: pairs((res[2 * i]?.[1] ?? []) as string[]), view: pairs((res[2 * i + 1]?.[1] ?? []) as string[]) }));
    const buyNeeded = new Set<string>(skus);
    const viewNeeded = new Set<string>(skus);
    for (const c of co) {
      for (const [s] of c.buy) buyNeeded.add(s);
      for (const [s] of c.view) viewNeeded.add(s);
    }
    const [popBuy, popView] = await Promise.all([this.pop(k.popBuys(), [...buyNeeded]), this.pop(k.popViews(), [...viewNeeded])]);
    const unit = decay(this.now());
    const w = this.redis.pipeline();
    skus.forEach((sku, i) => {
      const list: RelatedList = {
        buy: similar(co[i]!.buy, popBuy.get(sku) ?? 0, popBuy, unit),
        view: similar(co[i]!.view, popView.get(sku) ?? 0, popView, unit),
      };
      if (list.buy.length + list.view.length === 0) w.del(k.related(sku));
      else w.set(k.related(sku), JSON.stringify(list), 'EX', OUTPUT_TTL_S);
    });
    await w.exec();
  }

  private async pop(key: string, skus: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (skus.length === 0) return out;
    const scores = await this.redis.zmscore(key, ...skus);
    skus.forEach((s, i) => {
      const v = scores[i];
      if (v !== null && v !== undefined) out.set(s, Number(v));
    });
    return out;
  }

  /** Recomputes the recommendations of `userIds`. */
  async recomputeUsers(userIds: string[]): Promise<void> {
    if (userIds.length === 0) return;
    const k = this.keys;
    const p = this.redis.pipeline();
    for (const u of userIds) {
      p.zrange(k.history(u), 0, HISTORY_READ - 1, 'REV', 'WITHSCORES');
      p.smembers(k.bought(u));
    }
    const res = (await p.exec()) ?? [];
    const users = userIds.map((u, i) => ({
      userId: u,
      history: pairs((res[2 * i]?.[1] ?? []) as string[]),
      bought: new Set((res[2 * i + 1]?.[1] ?? []) as string[]),
    }));
    const items = [...new Set(users.flatMap((u) => u.history.map(([s]) => s)))];
    const related = new Map<string, RelatedList>();
    if (items.length > 0) {
      const raw = await this.redis.mget(...items.map((s) => k.related(s)));
      items.forEach((s, i) => {
        const r = raw[i];
        if (r) related.set(s, JSON.parse(r) as RelatedList);
      });
    }
    // What each user already knows or bought: never recommended back, by either source.
    const known = users.map((u) => new Set([...u.bought, ...u.history.map(([s]) => s)]));
    let scored = users.map((u, i) => ({ userId: u.userId, recs: scoreForUser(u.history, related, known[i]!) }));
    const catOf = new Map<string, string>();
    const readCategories = async (skus: string[]) => {
      const missing = [...new Set(skus)].filter((s) => !catOf.has(s));
      if (missing.length === 0) return;
      const cats = await this.redis.hmget(k.categories(), ...missing);
      missing.forEach((s, i) => catOf.set(s, cats[i] ?? ''));
    };
    if (this.listing) {
      const listing = this.listing;
      await readCategories(items);
      // One listing per category per round, however many users share it.
      const lists = new Map<string, Promise<Array<[string, string]>>>();
      const list = (c: string) => lists.get(c) ?? lists.set(c, listing(c, USER_TOP_UP * 2)).get(c)!;
      const candidates = [...new Set(scored.flatMap((u) => u.recs.map(([sku]) => sku)))];
      // Unknown (the set unreadable): every candidate counts, as before.
      const soldOut = this.outOfStock && candidates.length > 0 ? await this.outOfStock(candidates).catch(() => new Set<string>()) : new Set<string>();
      scored = await Promise.all(scored.map(async (s, i) => ({
        userId: s.userId,
        recs: await topUpFromCategories(s.recs, users[i]!.history, catOf, known[i]!, list, s.recs.filter(([sku]) => !soldOut.has(sku)).length),
      })));
    }
    await readCategories(scored.flatMap((u) => u.recs.map(([s]) => s)));
    const w = this.redis.pipeline();
    for (const u of scored) {
      const recs: UserRecs = u.recs.map(([s, score]) => [s, catOf.get(s) ?? '', Number(score.toPrecision(6))]);
      w.set(k.forUser(u.userId), JSON.stringify(recs), 'EX', OUTPUT_TTL_S);
    }
    await w.exec();
  }

  /** Marks SKUs (related lists) and users (recommendations) as due for recomputing. */
  async markDirty(skus: string[], users: string[]): Promise<void> {
    const p = this.redis.pipeline();
    if (skus.length > 0) p.sadd(this.keys.dirty(), ...skus);
    if (users.length > 0) p.sadd(this.keys.dirtyUsers(), ...users);
    await p.exec();
  }

  async takeDirtyUsers(max: number): Promise<string[]> {
    return (await this.redis.spop(this.keys.dirtyUsers(), max)) ?? [];
  }

  /** Takes up to `max` SKUs whose co-occurrences changed. */
  async takeDirty(max: number): Promise<string[]> {
    return (await this.redis.spop(this.keys.dirty(), max)) ?? [];
  }
}
