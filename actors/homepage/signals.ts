// What the homepage reads of analytics: the ShopperSignals interface is analytics' own
// (RedisShopperSignals implements it over Redis). NoSignals stands in where there is no
// analytics (tests of the builder alone): no sales, nothing trending, nothing hidden.
import type { ShopperSignals } from '../analytics/index.ts';

export type { ShopperSignals } from '../analytics/index.ts';

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

  async forYou(): Promise<{ skus: string[]; hidden: { categories: string[]; skus: string[] } }> {
    return { skus: [], hidden: await this.hiddenFor() };
  }
}
