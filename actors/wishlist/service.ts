// The wishlist service: rows in MariaDB behind a Redis read-through cache that each
// write invalidates (for every process sharing the Redis) before it answers.
import { RejectedError } from '../../cluster/index.ts';
import type { ReadThroughCache } from '../../stores/redis/index.ts';
import type { ProductRepository } from '../../stores/mysql/products.ts';
import type { WishlistRepository } from '../../stores/mysql/wishlists.ts';

export interface WishlistItemView {
  sku: string; addedAt: string; title: string; price: number; currency: string;
  /** Set when the product was taken off sale (as a cart line is flagged). */
  unavailable?: true;
}
export interface WishlistView { items: WishlistItemView[] }

export interface WishlistDeps {
  repo: WishlistRepository;
  products: ProductRepository;
  cache: ReadThroughCache<WishlistView>;
  onChange(userId: string, what: string): void;
  /** Told after a SKU was added (the clickstream's wishlist_add event). */
  onAdded?(userId: string, sku: string, category: string): void;
  maxItems?: number;
}

export class WishlistService {
  constructor(private readonly deps: WishlistDeps) {}

  /**
   * The wishlist with each product as it is now: the cached list (which this user's writes
   * invalidate) overlaid with today's title and price from the process's product cache, and
   * a product taken off sale flagged `unavailable`, as the cart flags its line. The cached
   * copy alone kept a removed product's old title and price for the cache's lifetime.
   */
  async get(userId: string): Promise<WishlistView> {
    const v = await this.deps.cache.get(userId, async () => {
      const rows = await this.deps.repo.list(userId);
      return { items: rows.map((r) => ({ ...r, addedAt: new Date(r.addedAt).toISOString() })) };
    });
    if (!v || v.items.length === 0) return { items: [] };
    const today = await this.deps.products.getMany(v.items.map((i) => i.sku));
    return {
      items: v.items.map((i) => {
        const p = today.get(i.sku);
        // A product taken off sale shows its last title and price, as the cart's line does:
        // the cached copy is from when the list was read, a price changed since included.
        if (!p) return { sku: i.sku, addedAt: i.addedAt, title: i.title, price: i.price, currency: i.currency, unavailable: true as const };
        if (p.removedAt) return { sku: i.sku, addedAt: i.addedAt, title: p.title, price: p.price, currency: p.currency, unavailable: true as const };
        return { sku: i.sku, addedAt: i.addedAt, title: p.title, price: p.price, currency: p.currency };
      }),
    };
  }

  async add(userId: string, sku: string): Promise<WishlistView> {
    const product = await this.deps.products.get(sku);
    if (!product) throw new RejectedError('unknown_sku', `no product ${sku}`, { data: { sku } });
    // As the cart refuses it: a product taken off sale is not offered to be wished for either.
    if (product.removedAt) throw new RejectedError('unavailable', `${sku} is no longer sold`, { data: { skus: [sku] } });
    const max = this.deps.maxItems ?? 500;
    // Adding what is already there changes nothing, so a full wishlist takes it too. The
    // count and the insert are one locked step, so concurrent adds cannot pass the cap.
    const outcome = await this.deps.repo.addCapped(userId, sku, Date.now(), max);
    if (outcome === 'full') throw new RejectedError('wishlist_full', `a wishlist holds at most ${max} items`, { data: { max } });
    const added = outcome === 'added';
    await this.changed(userId);
    // Counted once per wish (top-products by wishlist): adding it again changes nothing.
    if (added) this.deps.onAdded?.(userId, sku, product.category);
    return this.get(userId);
  }

  /**
   * Takes a SKU out for a move to the cart: true for exactly one of concurrent takes of one
   * item, false when it was not wished. `giveBack` puts it back (its date kept) when the
   * move fails.
   */
  async take(userId: string, sku: string): Promise<{ taken: false } | { taken: true; giveBack(): Promise<void> }> {
    const addedAt = await this.deps.repo.take(userId, sku);
    if (addedAt === undefined) return { taken: false };
    await this.changed(userId);
    return {
      taken: true,
      giveBack: async () => {
        await this.deps.repo.add(userId, sku, addedAt);
        await this.changed(userId);
      },
    };
  }

  async remove(userId: string, sku: string): Promise<WishlistView> {
    await this.deps.repo.remove(userId, sku);
    await this.changed(userId);
    return this.get(userId);
  }

  private async changed(userId: string): Promise<void> {
    await this.deps.cache.invalidate(userId);
    this.deps.onChange(userId, 'wishlist');
  }
}
