// The admin reports: top searches, top products, revenue by category, over a window.
import type { Redis } from 'ioredis';
import { AnalyticsKeys, type ProductMetric } from './keys.ts';
import { scoresOf, topOf } from './read.ts';
import { windowBuckets, type Window } from './windows.ts';

export interface TopSearches { window: Window; since: string; items: Array<{ query: string; count: number }> }
export interface TopProducts { window: Window; since: string; items: Array<{ sku: string; title: string; count: number }> }
export interface RevenueReport { window: Window; since: string; currency: string; items: Array<{ category: string; revenue: number; orders: number }> }

export class AnalyticsReports {
  readonly keys: AnalyticsKeys;

  /** `titles` names SKUs (a product lookup); unknown SKUs show their SKU as the title. */
  constructor(
    private readonly redis: Redis,
    cluster: string,
    private readonly titles: (skus: string[]) => Promise<Map<string, string>>,
    private readonly now: () => number = Date.now,
  ) {
    this.keys = new AnalyticsKeys(cluster);
  }

  async topSearches(window: 'hour' | 'day', limit: number): Promise<TopSearches> {
    const w = windowBuckets(window, this.now());
    const top = await topOf(this.redis, this.keys, w.buckets.map((b) => this.keys.searches(w.grain, b)), limit);
    return { window, since: new Date(w.since).toISOString(), items: top.map((t) => ({ query: t.member, count: t.score })) };
  }

  async topProducts(by: ProductMetric, window: 'day' | 'week', limit: number): Promise<TopProducts> {
    const w = windowBuckets(window, this.now());
    const top = await topOf(this.redis, this.keys, w.buckets.map((b) => this.keys.products(by, w.grain, b)), limit);
    const titles = await this.titles(top.map((t) => t.member));
    return {
      window, since: new Date(w.since).toISOString(),
      items: top.map((t) => ({ sku: t.member, title: titles.get(t.member) ?? t.member, count: t.score })),
    };
  }

  /** Revenue per category from paid orders minus refunds; `currency` defaults to the window's biggest. */
  async revenue(window: 'hour' | 'day', currency?: string, limit = 100): Promise<RevenueReport> {
    const w = windowBuckets(window, this.now());
    const cur = currency ?? (await topOf(this.redis, this.keys, w.buckets.map((b) => this.keys.currencies(w.grain, b)), 1))[0]?.member ?? 'USD';
    const top = await topOf(this.redis, this.keys, w.buckets.map((b) => this.keys.revenue(cur, w.grain, b)), limit);
    const orders = await scoresOf(this.redis, w.buckets.map((b) => this.keys.revenueOrders(cur, w.grain, b)), top.map((t) => t.member));
    return {
      window, since: new Date(w.since).toISOString(), currency: cur,
      items: top.map((t) => ({ category: t.member, revenue: t.score, orders: orders.get(t.member) ?? 0 })),
    };
  }
}
