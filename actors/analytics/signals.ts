// What the homepage (and anything else on a request path) reads of analytics and
// recommendations: Redis only, never MariaDB. Counts are those of the analytics
// consumers; recommendations and hidden items those of the recommendations trainer and
// the "not interested" feedback.
import type { Redis } from 'ioredis';
import { RecKeys } from '../recommendations/keys.ts';
import { inHiddenCategory } from '../recommendations/model.ts';
import { RecReader } from '../recommendations/read.ts';
import { ALL, AnalyticsKeys } from './keys.ts';
import { topOf } from './read.ts';
import { windowBuckets } from './windows.ts';

export interface ShopperSignals {
  /** Categories by units sold in the last 24 h in orders to these countries (all countries when empty), best first. */
  topCategories(countries: readonly string[], limit: number): Promise<Array<{ category: string; units: number }>>;
  /** SKUs of one category by units sold in the last 24 h in orders to these countries (all when empty), best first. */
  topSkusInCategory(category: string, countries: readonly string[], limit: number): Promise<Array<{ sku: string; units: number }>>;
  /** Most viewed and searched SKUs in the last hour, best first. */
  trending(limit: number): Promise<Array<{ sku: string; score: number }>>;
  /** Recommended SKUs for a user, with what they bought and what they hid removed, best first (empty when no history). */
  recommendationsFor(userId: string, limit: number): Promise<string[]>;
  /** What the user marked not interested (categories mean their subtrees). */
  hiddenFor(userId: string): Promise<{ categories: string[]; skus: string[] }>;
  /** recommendationsFor and hiddenFor read together (one Redis round trip), for a per-request block. */
  forYou(userId: string, limit: number): Promise<{ skus: string[]; hidden: { categories: string[]; skus: string[] } }>;
}

/**
 * ShopperSignals over the Redis read models. "Last 24 h" is the current hour bucket and
 * the 23 before it; "last hour" the current minute bucket and the 59 before it. Categories
 * are the products' own (leaf) category paths.
 *
 * @example
 * const signals = new RedisShopperSignals(redis, 'shop');
 * const cats = await signals.topCategories(['GB', 'NL'], 3);
 */
export class RedisShopperSignals implements ShopperSignals {
  private readonly k: AnalyticsKeys;
  private readonly recs: RecReader;

  constructor(private readonly redis: Redis, cluster: string, private readonly now: () => number = Date.now) {
    this.k = new AnalyticsKeys(cluster);
    this.recs = new RecReader(redis, new RecKeys(cluster));
  }

  private countriesOrAll(countries: readonly string[]): string[] {
    return countries.length === 0 ? [ALL] : [...new Set(countries.map((c) => c.toUpperCase()))];
  }

  async topCategories(countries: readonly string[], limit: number): Promise<Array<{ category: string; units: number }>> {
    const w = windowBuckets('day', this.now());
    const keys = this.countriesOrAll(countries).flatMap((c) => w.buckets.map((b) => this.k.categoryUnits(c, w.grain, b)));
    return (await topOf(this.redis, this.k, keys, limit)).map((t) => ({ category: t.member, units: t.score }));
  }

  async topSkusInCategory(category: string, countries: readonly string[], limit: number): Promise<Array<{ sku: string; units: number }>> {
    const w = windowBuckets('day', this.now());
    const keys = this.countriesOrAll(countries).flatMap((c) => w.buckets.map((b) => this.k.skuUnits(c, category, w.grain, b)));
    return (await topOf(this.redis, this.k, keys, limit)).map((t) => ({ sku: t.member, units: t.score }));
  }

  async trending(limit: number): Promise<Array<{ sku: string; score: number }>> {
    const w = windowBuckets('hour', this.now());
    return (await topOf(this.redis, this.k, w.buckets.map((b) => this.k.trending(w.grain, b)), limit)).map((t) => ({ sku: t.member, score: t.score }));
  }

  async recommendationsFor(userId: string, limit: number): Promise<string[]> {
    return (await this.forYou(userId, limit)).skus;
  }

  async forYou(userId: string, limit: number): Promise<{ skus: string[]; hidden: { categories: string[]; skus: string[] } }> {
    const [recs, hidden] = await Promise.all([this.recs.userRecs(userId), this.recs.hidden(userId)]);
    const hiddenSkus = new Set(hidden.skus);
    const skus: string[] = [];
    for (const [sku, category] of recs) {
      if (skus.length >= limit) break;
      if (hiddenSkus.has(sku) || inHiddenCategory(category, hidden.categories)) continue;
      skus.push(sku);
    }
    return { skus, hidden };
  }

  hiddenFor(userId: string): Promise<{ categories: string[]; skus: string[] }> {
    return this.recs.hidden(userId);
  }
}
