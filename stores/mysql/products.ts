// The smallest product repository the cart and wishlist need: look up SKUs, and insert
// products (demo data, tests). The catalog issue may replace it with its own.
import type { Pool } from './pool.ts';
import { ReadCache } from '../read-cache.ts';

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
  private readonly cache: ReadCache<Product>;

  constructor(private readonly pool: Pool, cacheMs = 10_000) {
    this.cache = new ReadCache(cacheMs);
  }

  async get(sku: string): Promise<Product | undefined> {
    const hit = this.cache.fresh(sku);
    if (hit) return hit.value;
    return (await this.getMany([sku])).get(sku);
  }

  getMany(skus: string[]): Promise<Map<string, Product>> {
    return this.cache.getMany(skus, async (missing) => {
      const [rows] = await this.pool.query('SELECT sku, title, brand, category, price, currency, attributes, supplier_id, removed_at FROM products WHERE sku IN (?)', [missing]);
      return new Map((rows as ProductRow[]).map((r) => [r.sku, fromRow(r)]));
    });
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

  /** Inserts or replaces products, in chunks of 500 rows (a product listed again is on sale again). */
  async upsertMany(products: Product[]): Promise<void> {
    for (let i = 0; i < products.length; i += 500) {
      const chunk = products.slice(i, i + 500);
      await this.pool.query(
        `INSERT INTO products (sku, title, brand, category, price, currency, attributes, supplier_id) VALUES ?
         ON DUPLICATE KEY UPDATE title = VALUES(title), brand = VALUES(brand), category = VALUES(category), price = VALUES(price),
           currency = VALUES(currency), attributes = VALUES(attributes), supplier_id = VALUES(supplier_id), removed_at = NULL`,
        [chunk.map((p) => [p.sku, p.title, p.brand, p.category, p.price, p.currency, JSON.stringify(p.attributes), p.supplierId])],
      );
    }
    this.invalidate(products.map((p) => p.sku));
  }

  /** Takes products off sale: carts show them unavailable and checkout refuses them. */
  async markRemoved(skus: string[], at: number): Promise<void> {
    if (skus.length === 0) return;
    await this.pool.query('UPDATE products SET removed_at = ? WHERE sku IN (?)', [at, skus]);
    this.invalidate(skus);
  }

  /** Whether the item service has taken this product off sale (read past the cache). */
  async isRemoved(sku: string): Promise<boolean> {
    const [rows] = await this.pool.query('SELECT removed_at FROM products WHERE sku = ?', [sku]);
    const row = (rows as { removed_at: unknown }[])[0];
    return row !== undefined && row.removed_at !== null;
  }

  /** Forgets cached copies (another process changed these products). */
  invalidate(skus: string[]): void {
    this.cache.forget(skus);
  }
}
