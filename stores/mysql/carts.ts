// Carts in MariaDB, written only by the `cart:<userId>` actor. Every write is conditional
// on the activation's epoch and the version it loaded, so a node that lost its shard
// cannot overwrite.
import type { Pool } from './pool.ts';
import { purgeInChunks, type PurgeLimits } from './purge.ts';
import { claimEpoch, guard, type Fence } from './epochs.ts';
import type { Statement } from './writes.ts';
import { DirectWriter, mergeOf, type MergeKind, type Writer } from './journal.ts';
import { fenceGuards, mergeRank } from './merged-writes.ts';

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
  /** A paid order whose units this write takes out: recorded with it (`boughtApplied`). */
  boughtOrderId?: string;
}

export class CartRepository {
  private readonly writer: Writer;

  /** `writer`: the node's journal, so cart writes share its batches (default: one transaction each). */
  constructor(private readonly pool: Pool, writer?: Writer) {
    this.writer = writer ?? new DirectWriter(pool);
  }

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

  /** Whether a paid order's units have been taken out of this cart already. */
  async boughtApplied(userId: string, orderId: string): Promise<boolean> {
    const [rows] = await this.pool.query('SELECT 1 FROM cart_bought_orders WHERE user_id = ? AND order_id = ?', [userId, orderId]);
    return (rows as unknown[]).length > 0;
  }

  /**
   * Forgets paid orders applied to carts over a day ago (the checkout sweeper resends a
   * removal for 23 hours after the payment at most), a chunk at a time; returns how many went. One row per paid cart
   * order: without this the table grew with every sale for ever.
   */
  purgeBoughtOrders(now: number, limits: PurgeLimits = {}): Promise<number> {
    return purgeInChunks(this.pool, { from: 'cart_bought_orders', where: 'applied_at < ?', params: [now - boughtRetentionMs], orderBy: 'applied_at', ...limits });
  }

  /**
   * Applies one change in one transaction and one round trip (or one part of a journal
   * batch); throws FencedWriteError when
   * the epoch or the version moved. One compound statement rather than an interactive
   * transaction: a writer paused between statements would hold the epoch row's lock, and
   * with it every new activation of the cart, for as long as it stays paused.
   */
  async write(w: CartWrite): Promise<void> {
    const statements: Statement[] = [guard(w.fence)];
    if (w.expectedVersion === 0) {
      statements.push({ sql: 'INSERT IGNORE INTO carts (user_id, version) VALUES (?, 1);', params: [w.userId] });
    } else {
      statements.push({ sql: 'UPDATE carts SET version = version + 1 WHERE user_id = ? AND version = ?;', params: [w.userId, w.expectedVersion] });
    }
    statements.push({ sql: "IF ROW_COUNT() <> 1 THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'cart_fenced'; END IF;" });
    if (w.upsert.length > 0) {
      statements.push({
        sql: `INSERT INTO cart_lines ${lineColumns} VALUES ? ${lineUpdate}`,
        params: [w.upsert.map((l) => lineRow(w.userId, l))],
      });
    }
    if (w.remove.length > 0) statements.push({ sql: 'DELETE FROM cart_lines WHERE user_id = ? AND sku IN (?);', params: [w.userId, w.remove] });
    if (w.boughtOrderId !== undefined) statements.push({ sql: `${boughtInsert} (?, ?, ?);`, params: [w.userId, w.boughtOrderId, Date.now()] });
    await this.writer.write(statements, `cart ${w.userId}`, [], [mergeOf(fenceGuards, w.fence), mergeOf(cartWrites, w)]);
  }
}

const lineColumns = '(user_id, sku, qty, price, currency, added_at, shown_price)';
/** How long a paid order's removal from its cart is remembered. */
const boughtRetentionMs = 86_400_000;
const boughtInsert = 'INSERT INTO cart_bought_orders (user_id, order_id, applied_at) VALUES';

/** A line's values in `lineColumns` order. */
function lineRow(userId: string, l: CartLineRecord): unknown[] {
  return [userId, l.sku, l.qty, l.price, l.currency, l.addedAt, l.shownPrice ?? null];
}
const lineUpdate = 'ON DUPLICATE KEY UPDATE qty = VALUES(qty), price = VALUES(price), currency = VALUES(currency), shown_price = VALUES(shown_price);';

/**
 * Several carts' changes as one (their fences go with every other part's, `fenceGuards`):
 * every version check in one UPDATE (and every first write in one INSERT), every line in
 * one upsert and one delete. A row count short of the number of carts fails the whole, as
 * any one cart's check would have failed it alone; the journal then writes each cart on its
 * own to learn which.
 */
const cartWrites: MergeKind<CartWrite> = {
  rank: mergeRank.row,
  combine(writes) {
    const statements: Statement[] = [];
    const existing = writes.filter((w) => w.expectedVersion !== 0);
    const created = writes.filter((w) => w.expectedVersion === 0);
    if (existing.length > 0) {
      statements.push(
        { sql: `UPDATE carts SET version = version + 1 WHERE (user_id, version) IN (${existing.map(() => '(?, ?)').join(', ')});`, params: existing.flatMap((w) => [w.userId, w.expectedVersion]) },
        { sql: `IF ROW_COUNT() <> ${existing.length} THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'cart_fenced'; END IF;` },
      );
    }
    if (created.length > 0) {
      statements.push(
        { sql: 'INSERT IGNORE INTO carts (user_id, version) VALUES ?;', params: [created.map((w) => [w.userId, 1])] },
        { sql: `IF ROW_COUNT() <> ${created.length} THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'cart_fenced'; END IF;` },
      );
    }
    const upserts = writes.flatMap((w) => w.upsert.map((l) => lineRow(w.userId, l)));
    if (upserts.length > 0) statements.push({ sql: `INSERT INTO cart_lines ${lineColumns} VALUES ? ${lineUpdate}`, params: [upserts] });
    const removals = writes.flatMap((w) => w.remove.map((sku) => [w.userId, sku]));
    if (removals.length > 0) {
      statements.push({ sql: `DELETE FROM cart_lines WHERE (user_id, sku) IN (${removals.map(() => '(?, ?)').join(', ')});`, params: removals.flat() });
    }
    const bought = writes.filter((w) => w.boughtOrderId !== undefined);
    if (bought.length > 0) statements.push({ sql: `${boughtInsert} ?;`, params: [bought.map((w) => [w.userId, w.boughtOrderId, Date.now()])] });
    return statements;
  },
};
