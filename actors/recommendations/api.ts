// What the gateway serves: a SKU's related products and a user's recommendations, from
// the precomputed lists in Redis, without out-of-stock SKUs and without what the user hid.
// A user with no history gets the best sellers of their country (their default address),
// then of all countries, then what is trending.
import type { RedisShopperSignals } from '../analytics/index.ts';
import type { FeedbackService } from './feedback.ts';
import { inHiddenCategory, relatedOrder, type Hidden } from './model.ts';
import type { RecReader } from './read.ts';
import type { StockStatus } from '../inventory/index.ts';

export interface ProductCard {
  sku: string; title: string; brand: string; category: string; price: number; currency: string; attributes: Record<string, unknown>;
}

/** A card as served: with its stock, as a product is (API.md: `{items:[product…]}`). */
export interface RecommendedProduct extends ProductCard {
  stock: { status: StockStatus };
}

export interface RecommendationsApiDeps {
  reader: RecReader;
  signals: RedisShopperSignals;
  feedback: FeedbackService;
  /** Product documents by SKU (removed products are absent). */
  products(skus: string[]): Promise<Map<string, ProductCard>>;
  /** How each of these stands (out of stock, low, in stock). */
  stockStatuses(skus: string[]): Promise<Map<string, StockStatus>>;
  /** The country of the user's default address, if any. */
  countryOf(userId: string): Promise<string | undefined>;
  /** Products of the catalog, best first (newest), to fill a list no sales fill yet. */
  catalogTop?(limit: number): Promise<string[]>;
}

export class RecommendationsApi {
  constructor(private readonly deps: RecommendationsApiDeps) {}

  /** Bought together with `sku`, then viewed together; minus what the caller (if any) hid. */
  async related(sku: string, limit: number, userId?: string): Promise<RecommendedProduct[]> {
    const [list, hidden] = await Promise.all([this.deps.reader.related(sku), userId ? this.hidden(userId) : undefined]);
    return this.cards(relatedOrder(list, sku), limit, hidden);
  }

  async forUser(userId: string, limit: number): Promise<RecommendedProduct[]> {
    await this.deps.feedback.ensureLoaded(userId);
    const personal = await this.deps.signals.recommendationsFor(userId, limit * 2 + 10);
    if (personal.length > 0) {
      const cards = await this.cards(personal, limit);
      if (cards.length > 0) return cards;
    }
    // No history: the best sellers of the user's country, then of every country, then what
    // is trending, then the catalog, one list filled up to `limit` (a shop with two SKUs sold
    // answered those two; a new shop, nothing).
    const [hidden, bought] = await Promise.all([this.hidden(userId), this.deps.reader.bought(userId)]);
    const country = await this.deps.countryOf(userId);
    const wanted = limit * 2 + 10;
    const sources: Array<() => Promise<string[]>> = [
      ...(country ? [() => this.bestSellers([country], wanted)] : []),
      () => this.bestSellers([], wanted),
      async () => (await this.deps.signals.trending(wanted)).map((t) => t.sku),
      ...(this.deps.catalogTop ? [() => this.deps.catalogTop!(wanted).catch(() => [] as string[])] : []),
    ];
    const seen = new Set<string>(bought);
    const out: RecommendedProduct[] = [];
    for (const source of sources) {
      const fresh = (await source()).filter((s) => !seen.has(s));
      for (const s of fresh) seen.add(s);
      out.push(...(await this.cards(fresh, limit - out.length, hidden)));
      if (out.length >= limit) break;
    }
    return out;
  }

  private hidden(userId: string): Promise<Hidden> {
    return this.deps.signals.hiddenFor(userId);
  }

  /** Top SKUs by units over the best categories of these countries (all when empty). */
  private async bestSellers(countries: string[], limit: number): Promise<string[]> {
    const cats = await this.deps.signals.topCategories(countries, 10);
    const per = await Promise.all(cats.map((c) => this.deps.signals.topSkusInCategory(c.category, countries, limit)));
    return per.flat().sort((a, b) => b.units - a.units).map((s) => s.sku);
  }

  private async cards(skus: string[], limit: number, hidden?: Hidden): Promise<RecommendedProduct[]> {
    if (skus.length === 0) return [];
    const candidates = skus.slice(0, limit * 3 + 10);
    const [docs, stock] = await Promise.all([this.deps.products(candidates), this.deps.stockStatuses(candidates)]);
    const hiddenSkus = new Set(hidden?.skus ?? []);
    const out: RecommendedProduct[] = [];
    for (const sku of candidates) {
      const p = docs.get(sku);
      const status = stock.get(sku) ?? 'in_stock';
      if (!p || status === 'out_of_stock' || hiddenSkus.has(sku)) continue;
      if (hidden && inHiddenCategory(p.category, hidden.categories)) continue;
      out.push({ ...p, stock: { status } });
      if (out.length >= limit) break;
    }
    return out;
  }
}
