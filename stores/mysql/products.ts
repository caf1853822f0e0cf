// The smallest product repository the cart and wishlist need: look up SKUs, and insert
// products (demo data, tests). The catalog issue may replace it with its own.
import type { Pool } from './pool.ts';

export interface Product {
  sku: string;
  title: string;
  brand: string;
  category: string;
  /** Minor units (cents). */
  price: number;
  currency: string;
  attributes: Record<string, unknown>;
  supplierId: string | null;
  /** When an admin removed it from sale (ms); it stays readable for carts and orders. */
  removedAt?: number | null;
}

interface ProductRow {
  sku: string; title: string; brand: string; category: string; price: number; currency: string;
  attributes: unknown; supplier_id: string | null; removed_at?: number | null;
}

function fromRow(r: ProductRow): Product {
  const attributes = typeof r.attributes === 'string' ? JSON.parse(r.attributes) as Record<string, unknown> : (r.attributes ?? {}) as Record<string, unknown>;
  return {
    sku: r.sku, title: r.title, brand: r.brand, category: r.category, price: Number(r.price), currency: r.currency, attributes, supplierId: r.supplier_id,
    removedAt: r.removed_at === null || r.removed_at === undefined ? null : Number(r.removed_at),
  };
}

export class ProductRepository {
  /** Products change rarely; a short per-process cache keeps hot cart paths off the database. */
  private readonly cache = new Map<string, { at: number; product: Product | undefined }>();
  /**
   * Bumped by every invalidation. A read that began before one may hold the row as it was
   * before the change, and must not put it back in the cache for the next ten seconds: a
   * product removed while a checkout was reading it would otherwise stay on sale.
   */
  private generation = 0;

  constructor(private readonly pool: Pool, private readonly cacheMs = 10_000) {}

  async get(sku: string): Promise<Product | undefined> {
    const hit = this.cache.get(sku);
    if (hit && Date.now() - hit.at < this.cacheMs) return hit.product;
    const generation = this.generation;
    const [rows] = await this.pool.query('SELECT sku, title, brand, category, price, currency, attributes, supplier_id, removed_at FROM products WHERE sku = ?', [sku]);
    const row = (rows as ProductRow[])[0];
    const product = row ? fromRow(row) : undefined;
    if (generation === this.generation) this.remember([[sku, product]]);
    return product;
  }

  async getMany(skus: string[]): Promise<Map<string, Product>> {
    const out = new Map<string, Product>();
    const missing: string[] = [];
    const now = Date.now();
    for (const sku of skus) {
      const hit = this.cache.get(sku);
      if (hit && now - hit.at < this.cacheMs) {
        if (hit.product) out.set(sku, hit.product);
      } else {
        missing.push(sku);
      }
    }
    if (missing.length === 0) return out;
    const generation = this.generation;
    const [rows] = await this.pool.query('SELECT sku, title, brand, category, price, currency, attributes, supplier_id, removed_at FROM products WHERE sku IN (?)', [missing]);
    for (const r of rows as ProductRow[]) out.set(r.sku, fromRow(r));
    if (generation === this.generation) this.remember(missing.map((sku) => [sku, out.get(sku)]));
    return out;
  }

  /** Inserts the products that are not there yet, in chunks of 500 rows; existing ones are left as they are. */
  async insertMissing(products: Product[]): Promise<void> {
    for (let i = 0; i < products.length; i += 500) {
      const chunk = products.slice(i, i + 500);
      await this.pool.query(
        'INSERT IGNORE INTO products (sku, title, brand, category, price, currency, attributes, supplier_id) VALUES ?',
        [chunk.map((p) => [p.sku, p.title, p.brand, p.category, p.price, p.currency, JSON.stringify(p.attributes), p.supplierId])],
      );
    }
  }

  /**
   * Inserts or replaces products, in chunks of 500 rows. `listedAt` is the time of the
   * catalog event that lists it: a removal made after it (or in the same millisecond) stays;
   * one made before it, or any removal when the listing has no time, is undone.
   */
  async upsertMany(products: (Product & { listedAt?: number })[]): Promise<void> {
    for (let i = 0; i < products.length; i += 500) {
      const chunk = products.slice(i, i + 500);
      await this.pool.query(
        `INSERT INTO products (sku, title, brand, category, price, currency, attributes, supplier_id, listed_at) VALUES ?
         ON DUPLICATE KEY UPDATE title = VALUES(title), brand = VALUES(brand), category = VALUES(category), price = VALUES(price),
           currency = VALUES(currency), attributes = VALUES(attributes), supplier_id = VALUES(supplier_id),
           removed_at = IF(removed_at IS NOT NULL AND VALUES(listed_at) IS NOT NULL AND removed_at >= VALUES(listed_at), removed_at, NULL),
           listed_at = COALESCE(VALUES(listed_at), listed_at)`,
        [chunk.map((p) => [p.sku, p.title, p.brand, p.category, p.price, p.currency, JSON.stringify(p.attributes), p.supplierId, p.listedAt ?? null])],
      );
    }
    this.invalidate(products.map((p) => p.sku));
  }

  /**
   * Takes products off sale as of `at` (the removal's own time): carts show them unavailable
   * and checkout refuses them. A listing newer than the removal stands.
   */
  async markRemoved(skus: string[], at: number): Promise<void> {
    if (skus.length === 0) return;
    await this.pool.query('UPDATE products SET removed_at = ? WHERE sku IN (?) AND (listed_at IS NULL OR listed_at <= ?)', [at, skus, at]);
    this.invalidate(skus);
  }

  /** Forgets cached copies (another process changed these products). */
  invalidate(skus: string[]): void {
    this.generation++;
    for (const sku of skus) this.cache.delete(sku);
  }

  private remember(entries: [string, Product | undefined][]): void {
    if (this.cache.size > 50_000) this.cache.clear();
    const at = Date.now();
    for (const [sku, product] of entries) this.cache.set(sku, { at, product });
  }
}
