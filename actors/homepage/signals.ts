// What the homepage needs from analytics: sales by region, trending products, and per user
// recommendations and what they hid. Implemented from Redis by the analytics actors
// (RedisShopperSignals); until that is wired, NoSignals stands in and the builder falls
// back to the catalog for best sellers.

export interface ShopperSignals {
  /** Categories by units sold in the last 24 h in these countries (empty list: everywhere). */
  topCategories(countries: readonly string[], limit: number): Promise<Array<{ category: string; units: number }>>;
  topSkusInCategory(category: string, countries: readonly string[], limit: number): Promise<Array<{ sku: string; units: number }>>;
  /** Most viewed and searched in the last hour. */
  trending(limit: number): Promise<Array<{ sku: string; score: number }>>;
  /** Hidden and already bought SKUs removed. */
  recommendationsFor(userId: string, limit: number): Promise<string[]>;
  hiddenFor(userId: string): Promise<{ categories: string[]; skus: string[] }>;
}

/** No analytics: no sales, nothing trending, no history, nothing hidden. */
export class NoSignals implements ShopperSignals {
  async topCategories(): Promise<Array<{ category: string; units: number }>> {
    return [];
  }

  async topSkusInCategory(): Promise<Array<{ sku: string; units: number }>> {
    return [];
  }

  async trending(): Promise<Array<{ sku: string; score: number }>> {
    return [];
  }

  async recommendationsFor(): Promise<string[]> {
    return [];
  }

  async hiddenFor(): Promise<{ categories: string[]; skus: string[] }> {
    return { categories: [], skus: [] };
  }
}
