// Redis key names of the analytics read models, in one place for writers and readers.
import type { Grain } from './windows.ts';

export type ProductMetric = 'views' | 'orders' | 'wishlist';
/** Country of all orders (the sum over countries, kept beside them so "all" is one key). */
export const ALL = '*';

export class AnalyticsKeys {
  readonly p: string;

  constructor(readonly cluster: string) {
    this.p = `${cluster}:an`;
  }

  /** Normalised search query → searches. */
  searches = (g: Grain, b: number) => `${this.p}:q:${g}:${b}`;
  /** SKU → views, orders or wishlist adds. */
  products = (m: ProductMetric, g: Grain, b: number) => `${this.p}:p:${m}:${g}:${b}`;
  /** SKU → trending score (views, clicks, appearances at the top of search results). */
  trending = (g: Grain, b: number) => `${this.p}:trend:${g}:${b}`;
  /** Category → revenue in minor units of `currency`, and → paid orders. */
  revenue = (currency: string, g: Grain, b: number) => `${this.p}:rev:${currency}:${g}:${b}`;
  revenueOrders = (currency: string, g: Grain, b: number) => `${this.p}:revn:${currency}:${g}:${b}`;
  /** Currency → revenue: which currency a report shows by default. */
  currencies = (g: Grain, b: number) => `${this.p}:cur:${g}:${b}`;
  /** Category → units sold in orders to `country` (ALL: every country). */
  categoryUnits = (country: string, g: Grain, b: number) => `${this.p}:uc:${country}:${g}:${b}`;
  /** SKU → units sold in one category in orders to `country`. */
  skuUnits = (country: string, category: string, g: Grain, b: number) => `${this.p}:us:${country}:${category}:${g}:${b}`;
  /** SKU → units sold, every country and category (a refund subtracts them on its day): the catalog's popularity. */
  skuSold = (g: Grain, b: number) => `${this.p}:sold:${g}:${b}`;
  /** Scratch key for a window's union (short-lived). */
  union = (name: string) => `${this.p}:u:${name}`;
}
