// Wires the gateway's clickstream, analytics reports, recommendations and feedback to the
// process's connections (kept out of gateway-role.ts so that file only gains a line).
import { AnalyticsReports, Clickstream, RedisShopperSignals } from '../actors/analytics/index.ts';
import { FeedbackService, RecKeys, RecReader, RecommendationsApi, type ProductCard } from '../actors/recommendations/index.ts';
import { newestProducts, productsCollection, type CatalogProduct, type OutOfStockSet } from '../actors/catalog/index.ts';
import { UsersService, type MeView } from '../actors/users/index.ts';
import { SessionApi } from '../actors/session/index.ts';
import { ReadThroughCache } from '../stores/redis/index.ts';
import { UserRepository } from '../stores/mysql/users.ts';
import type { DocumentStore } from '../stores/documents/index.ts';
import { FeedbackRepository } from '../stores/mysql/feedback.ts';
import type { ProductRepository } from '../stores/mysql/products.ts';
import type { PersonalisationDeps } from '../gateway/deps.ts';
import type { AppContext } from './context.ts';
import { ReadCache } from '../stores/read-cache.ts';

export interface PersonalisationParts {
  documents: DocumentStore;
  products: ProductRepository;
  cards: RecommendationCards;
  oos: OutOfStockSet;
}

/**
 * Product cards from the document store, kept 30 s per process (recommendation reads stay
 * off the store), and forgotten at once when a product changes or leaves the catalog
 * (`forget`, fed by the product-change announcements): a removed product was offered in
 * related lists and recommendations for up to 30 s, at its old price after a change.
 */
export class RecommendationCards {
  private readonly cache: ReadCache<ProductCard>;

  constructor(private readonly documents: DocumentStore, ttlMs = 30_000) {
    this.cache = new ReadCache(ttlMs);
  }

  readonly get = (skus: string[]): Promise<Map<string, ProductCard>> => this.cache.getMany(skus, async (missing) => {
    const docs = await this.documents.getMany<CatalogProduct & Record<string, unknown>>(productsCollection, missing);
    return new Map([...docs.values()].map((d) => [d.sku, {
      sku: d.sku, title: d.title, brand: d.brand, category: d.category, price: d.price, currency: d.currency, attributes: d.attributes ?? {},
    }]));
  });

  forget(skus: string[]): void {
    this.cache.forget(skus);
  }
}

export function personalisation(ctx: AppContext, parts: PersonalisationParts): PersonalisationDeps {
  const { config, redis, pool, nc, log } = ctx;
  const w = { ...parts, redis, pool, nc, log, cluster: config.cluster };
  // Reads only (the default address's country), through the same Redis cache as /v1/me.
  const users = new UsersService({
    users: new UserRepository(pool),
    sessions: new SessionApi(ctx.client),
    cache: new ReadThroughCache<MeView>(redis, { prefix: `${config.cluster}:me`, ttlSeconds: config.cacheTtlSec }),
    onChange: () => undefined,
    sessionTtlMs: config.sessionTtlMs,
  });
  const keys = new RecKeys(w.cluster);
  const feedback = new FeedbackService({
    repo: new FeedbackRepository(w.pool), redis: w.redis, keys,
    skuExists: async (sku) => (await w.products.get(sku)) !== undefined,
  });
  return {
    clickstream: new Clickstream(w.nc, w.cluster, w.log.child({ part: 'clickstream' })),
    reports: new AnalyticsReports(w.redis, w.cluster, async (skus) => {
      const found = await w.products.getMany(skus);
      return new Map([...found].map(([sku, p]) => [sku, p.title]));
    }),
    recommendations: new RecommendationsApi({
      reader: new RecReader(w.redis, keys),
      signals: new RedisShopperSignals(w.redis, w.cluster),
      feedback,
      products: parts.cards.get,
      stockStatuses: (skus) => w.oos.statuses(skus),
      countryOf: async (userId) => {
        const me = await users.me(userId);
        return me.addresses.find((a) => a.addressId === me.defaultAddressId)?.country;
      },
      catalogTop: async (limit) => (await newestProducts(nc, config.cluster, { limit, deadlineMs: 3000 })).map(([sku]) => sku),
    }),
    feedback,
    // A product taken off sale is no product here, as on its page (404): its related list
    // and a view of it answered as if it were still sold.
    product: async (sku) => {
      const p = await w.products.get(sku);
      return p && p.removedAt == null ? { category: p.category } : undefined;
    },
  };
}
