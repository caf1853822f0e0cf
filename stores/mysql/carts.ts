// Carts in MariaDB, written only by the `cart:<userId>` actor. Every write is conditional
// on the activation's epoch and the version it loaded, so a node that lost its shard
// cannot overwrite.
import { withTransaction, type Pool } from './pool.ts';
import { checkFence, claimEpoch, type Fence } from './epochs.ts';
import { FencedWriteError } from './writes.ts';

export interface CartLineRecord {
  sku: string;
  qty: number;
  price: number;
  currency: string;
  addedAt: number;
  /** From products, when the product still exists. */
  title: string;
  /** The unit price this line last showed its shopper (undefined: `price`). */
  shownPrice?: number;
}

export interface StoredCart {
  version: number;
  lines: CartLineRecord[];
}

/** One change to a cart: lines to upsert and SKUs to remove. */
export interface CartWrite {
  userId: string;
  /** The activation's claim (epochs.ts). */
  fence: Fence;
  expectedVersion: number;
  upsert: CartLineRecord[];
  remove: string[];
}

export class CartRepository {
  constructor(private readonly pool: Pool) {}

  /** Claims the cart for a new activation; call before `load`. */
  claim(userId: string): Promise<Fence> {
    return claimEpoch(this.pool, 'cart', userId);
  }

  async load(userId: string): Promise<StoredCart> {
    const [vrows] = await this.pool.query('SELECT version FROM carts WHERE user_id = ?', [userId]);
    const version = Number((vrows as { version: number }[])[0]?.version ?? 0);
    const [rows] = await this.pool.query(
      `SELECT l.sku, l.qty, l.price, l.currency, l.added_at, l.shown_price, COALESCE(p.title, l.sku) AS title
       FROM cart_lines l LEFT JOIN products p ON p.sku = l.sku WHERE l.user_id = ? ORDER BY l.added_at, l.sku`,
      [userId],
    );
    const lines = (rows as { sku: string; qty: number; price: number; currency: string; added_at: number | string; title: string; shown_price: number | null }[])
      .map((r) => ({
        sku: r.sku, qty: Number(r.qty), price: Number(r.price), currency: r.currency, addedAt: Number(r.added_at), title: r.title,
        ...(r.shown_price === null || r.shown_price === undefined ? {} : { shownPrice: Number(r.shown_price) }),
      }));
    return { version, lines };
  }

  /** Applies one change in one transaction; throws FencedWriteError when the version moved. */
  async write(w: CartWrite): Promise<void> {
    return withTransaction(this.pool, async (conn) => {
      await checkFence(conn, w.fence);
      if (w.expectedVersion === 0) {
        const [res] = await conn.query('INSERT IGNORE INTO carts (user_id, version) VALUES (?, 1)', [w.userId]);
        if ((res as { affectedRows: number }).affectedRows !== 1) throw new FencedWriteError(`cart ${w.userId}`);
      } else {
        const [res] = await conn.query('UPDATE carts SET version = version + 1 WHERE user_id = ? AND version = ?', [w.userId, w.expectedVersion]);
        if ((res as { affectedRows: number }).affectedRows !== 1) throw new FencedWriteError(`cart ${w.userId}`);
      }
      if (w.upsert.length > 0) {
        await conn.query(
          `INSERT INTO cart_lines (user_id, sku, qty, price, currency, added_at, shown_price) VALUES ?
           ON DUPLICATE KEY UPDATE qty = VALUES(qty), price = VALUES(price), currency = VALUES(currency), shown_price = VALUES(shown_price)`,
          [w.upsert.map((l) => [w.userId, l.sku, l.qty, l.price, l.currency, l.addedAt, l.shownPrice ?? null])],
        );
      }
      if (w.remove.length > 0) await conn.query('DELETE FROM cart_lines WHERE user_id = ? AND sku IN (?)', [w.userId, w.remove]);
    });
  }
}
