// Wishlist rows in MariaDB (the cache in front of them lives in actors/wishlist).
import type { Pool } from './pool.ts';
import { insertUnderCap } from './users.ts';

export interface WishlistRow {
  sku: string;
  addedAt: number;
  title: string;
  price: number;
  currency: string;
}

export class WishlistRepository {
  constructor(private readonly pool: Pool) {}

  async list(userId: string): Promise<WishlistRow[]> {
    const [rows] = await this.pool.query(
      `SELECT w.sku, w.added_at, COALESCE(p.title, w.sku) AS title, COALESCE(p.price, 0) AS price, COALESCE(p.currency, 'USD') AS currency
       FROM wishlist_items w LEFT JOIN products p ON p.sku = w.sku WHERE w.user_id = ? ORDER BY w.added_at DESC, w.sku`,
      [userId],
    );
    return (rows as { sku: string; added_at: number | string; title: string; price: number; currency: string }[])
      .map((r) => ({ sku: r.sku, addedAt: Number(r.added_at), title: r.title, price: Number(r.price), currency: r.currency }));
  }

  /**
   * Adds a SKU unless the user holds `max` others (`'full'`, nothing added); `'present'`
   * when it was there (it keeps its first date). Under the user's lock (insertUnderCap).
   */
  addCapped(userId: string, sku: string, at: number, max: number): Promise<'added' | 'present' | 'full'> {
    return insertUnderCap(this.pool, userId, max,
      ['wishlist_items WHERE user_id = ? AND sku <> ?', [userId, sku]],
      ['INSERT IGNORE INTO wishlist_items (user_id, sku, added_at) VALUES (?, ?, ?)', [userId, sku, at]]);
  }

  /** Adds a SKU (one already there keeps its first date); true when it was not there. */
  async add(userId: string, sku: string, at: number): Promise<boolean> {
    const [res] = await this.pool.query('INSERT IGNORE INTO wishlist_items (user_id, sku, added_at) VALUES (?, ?, ?)', [userId, sku, at]);
    return (res as { affectedRows: number }).affectedRows === 1;
  }

  /**
   * Removes a SKU and answers when it had been added, or undefined when it was not there:
   * of concurrent takes of one item, exactly one gets it (the DELETE's row lock decides).
   */
  async take(userId: string, sku: string): Promise<number | undefined> {
    const [rows] = await this.pool.query('DELETE FROM wishlist_items WHERE user_id = ? AND sku = ? RETURNING added_at', [userId, sku]);
    const row = (rows as { added_at: number | string }[])[0];
    return row ? Number(row.added_at) : undefined;
  }

  async remove(userId: string, sku: string): Promise<void> {
    await this.pool.query('DELETE FROM wishlist_items WHERE user_id = ? AND sku = ?', [userId, sku]);
  }
}
