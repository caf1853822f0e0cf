// Orders: the checkout saga's state, one row per order, moved step by step by its
// checkout actor with a version check; the status timeline; order history for readers.
import type { Pool } from './pool.ts';
import type { AddressRecord } from './users.ts';
import { claimEpoch, guard, type Fence } from './epochs.ts';
import { FencedWriteError } from './writes.ts';
import { DirectWriter, type Writer } from './journal.ts';

export type OrderStatus = 'pending_payment' | 'payment_declined' | 'charging' | 'paid' | 'cancelled' | 'expired' | 'failed';

export interface OrderLine {
  sku: string;
  qty: number;
  /** Unit price in minor units at checkout. */
  price: number;
  title: string;
  reservationId: string;
  warehouseId: string;
}

/** The address an order ships to, as it was at checkout. */
export type OrderAddress = Omit<AddressRecord, 'createdAt'>;

export interface OrderRecord {
  orderId: string;
  userId: string;
  status: OrderStatus;
  version: number;
  source: 'cart' | 'items';
  lines: OrderLine[];
  currency: string;
  subtotal: number;
  discount: number;
  total: number;
  couponCode: string | null;
  address: OrderAddress | null;
  reservedUntil: number;
  paymentKey: string | null;
  paymentToken: string | null;
  paymentAttempts: number;
  paymentId: string | null;
  createdAt: number;
  paidAt: number | null;
  updatedAt: number;
}

export interface TimelineEntry {
  at: number;
  status: string;
  detail: string;
}

/** A step of the saga: the new values, the timeline entry, and what else commits with it. */
export interface Transition {
  status: OrderStatus;
  detail?: string;
  paymentKey?: string | null;
  paymentToken?: string | null;
  paymentAttempts?: number;
  paymentId?: string | null;
  paidAt?: number;
  /** Points added to the user in the same transaction (on paid). */
  rewardPoints?: number;
  /** The order's coupon, claimed at checkout, given back to the user (cancelled, expired, failed). */
  freeCoupon?: string;
  /** An outbox row written in the same transaction (OrderPlaced). */
  outbox?: { subject: string; payload: unknown };
}

/** The coupon was claimed by another order between the check and the write. */
export class CouponTakenError extends Error {
  override name = 'CouponTakenError';
}

type Row = Record<string, unknown>;


function json<T>(v: unknown): T {
  return (typeof v === 'string' ? JSON.parse(v) : v) as T;
}

function fromRow(r: Row): OrderRecord {
  return {
    orderId: String(r.order_id),
    userId: String(r.user_id),
    status: r.status as OrderStatus,
    version: Number(r.version),
    source: r.source as 'cart' | 'items',
    lines: json<OrderLine[]>(r.lines_json),
    currency: String(r.currency),
    subtotal: Number(r.subtotal),
    discount: Number(r.discount),
    total: Number(r.total),
    couponCode: r.coupon_code === null ? null : String(r.coupon_code),
    address: r.address_json === null ? null : json<OrderAddress>(r.address_json),
    reservedUntil: Number(r.reserved_until),
    paymentKey: r.payment_key === null ? null : String(r.payment_key),
    paymentToken: r.payment_token === null ? null : String(r.payment_token),
    paymentAttempts: Number(r.payment_attempts),
    paymentId: r.payment_id === null ? null : String(r.payment_id),
    createdAt: Number(r.created_at),
    paidAt: r.paid_at === null ? null : Number(r.paid_at),
    updatedAt: Number(r.updated_at),
  };
}

export class OrderRepository {
  /** With `fence`, every write of an order is also conditional on that activation's epoch. */
  private readonly writer: Writer;

  /** `writer`: the node's journal, so order writes share its batches (default: one transaction each). */
  constructor(private readonly pool: Pool, private readonly fence?: Fence, writer?: Writer) {
    this.writer = writer ?? new DirectWriter(pool);
  }

  /** Claims an order for a new activation of its checkout actor; call before `get`. */
  claim(orderId: string): Promise<Fence> {
    return claimEpoch(this.pool, 'checkout', orderId);
  }

  /** The same repository, its writes fenced by `fence` (the order's activation). */
  fencedBy(fence: Fence): OrderRepository {
    return new OrderRepository(this.pool, fence, this.writer);
  }

  /** The fence's statement and params, to put first in a write (none when unfenced). */
  private guarded(): { statements: string[]; params: unknown[] } {
    if (!this.fence) return { statements: [], params: [] };
    const g = guard(this.fence);
    return { statements: [g.sql], params: g.params ?? [] };
  }

  /** Statements and their values in order, as one transaction (or journal part). */
  private commit(statements: string[], params: unknown[], what: string): Promise<unknown> {
    // The values belong to the statements in order; one Statement carrying them all is the same SQL.
    return this.writer.write([{ sql: statements.join('\n'), params }], what);
  }

  async get(orderId: string): Promise<OrderRecord | undefined> {
    const [rows] = await this.pool.query('SELECT * FROM orders WHERE order_id = ?', [orderId]);
    const row = (rows as Row[])[0];
    return row ? fromRow(row) : undefined;
  }

  async timeline(orderId: string): Promise<TimelineEntry[]> {
    const [rows] = await this.pool.query('SELECT at, status, detail FROM order_events WHERE order_id = ? ORDER BY seq', [orderId]);
    return (rows as Row[]).map((r) => ({ at: Number(r.at), status: String(r.status), detail: String(r.detail) }));
  }

  /**
   * Records a new order (version 1) and its first timeline entry, in one round trip, and
   * claims its coupon in the same transaction, so one coupon never discounts two orders.
   * Throws CouponTakenError when the coupon is no longer free.
   */
  async create(o: OrderRecord, detail: string): Promise<void> {
    const claim = o.couponCode === null ? [] : [
      'UPDATE coupons SET used_at = NOW(3) WHERE user_id = ? AND code = ? AND used_at IS NULL;',
      "IF ROW_COUNT() <> 1 THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'coupon_taken'; END IF;",
    ];
    const fence = this.guarded();
    await this.commit(
      [
        ...fence.statements,
        ...claim,
        `INSERT INTO orders (order_id, user_id, status, version, source, lines_json, currency, subtotal, discount, total, coupon_code,
           address_json, reserved_until, payment_attempts, created_at, updated_at)
         VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?);`,
        'INSERT INTO order_events (order_id, seq, at, status, detail) VALUES (?, 1, ?, ?, ?);',
      ],
      [...fence.params, ...(o.couponCode === null ? [] : [o.userId, o.couponCode]),
        o.orderId, o.userId, o.status, o.source, JSON.stringify(o.lines), o.currency, o.subtotal, o.discount, o.total, o.couponCode,
        o.address === null ? null : JSON.stringify(o.address), o.reservedUntil, o.createdAt, o.updatedAt,
        o.orderId, o.createdAt, o.status, detail],
      `order ${o.orderId}`,
    ).catch((err: unknown) => {
      if ((err as { sqlMessage?: string }).sqlMessage === 'coupon_taken') throw new CouponTakenError(o.couponCode ?? '');
      if ((err as { sqlMessage?: string }).sqlMessage === 'fenced') throw new FencedWriteError(`order ${o.orderId}`, { cause: err });
      throw err;
    });
  }

  /**
   * Moves an order from `version` to the next, with its timeline entry (numbered by the new
   * version, so no read of the timeline is needed) and whatever else must commit with it,
   * in one transaction and one round trip. Throws FencedWriteError if the row moved.
   */
  async transition(o: OrderRecord, t: Transition, now: number): Promise<OrderRecord> {
    const next: OrderRecord = {
      ...o,
      status: t.status,
      version: o.version + 1,
      paymentKey: t.paymentKey === undefined ? o.paymentKey : t.paymentKey,
      paymentToken: t.paymentToken === undefined ? o.paymentToken : t.paymentToken,
      paymentAttempts: t.paymentAttempts ?? o.paymentAttempts,
      paymentId: t.paymentId === undefined ? o.paymentId : t.paymentId,
      paidAt: t.paidAt ?? o.paidAt,
      updatedAt: now,
    };
    const fence = this.guarded();
    const statements = [
      ...fence.statements,
      `UPDATE orders SET status = ?, version = version + 1, payment_key = ?, payment_token = ?, payment_attempts = ?, payment_id = ?,
         paid_at = ?, updated_at = ? WHERE order_id = ? AND version = ?;`,
      "IF ROW_COUNT() <> 1 THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'order_fenced'; END IF;",
      'INSERT INTO order_events (order_id, seq, at, status, detail) VALUES (?, ?, ?, ?, ?);',
    ];
    const params: unknown[] = [...fence.params, next.status, next.paymentKey, next.paymentToken, next.paymentAttempts, next.paymentId, next.paidAt, now, o.orderId, o.version,
      o.orderId, next.version, now, t.status, t.detail ?? ''];
    if (t.rewardPoints) {
      statements.push('UPDATE users SET reward_points = reward_points + ? WHERE user_id = ?;');
      params.push(t.rewardPoints, o.userId);
    }
    if (t.freeCoupon) {
      statements.push('UPDATE coupons SET used_at = NULL WHERE user_id = ? AND code = ?;');
      params.push(o.userId, t.freeCoupon);
    }
    if (t.outbox) {
      statements.push('INSERT INTO outbox (subject, payload) VALUES (?, ?);');
      params.push(t.outbox.subject, JSON.stringify(t.outbox.payload));
    }
    try {
      await this.commit(statements, params, `order ${o.orderId}`);
    } catch (err) {
      const message = (err as { sqlMessage?: string }).sqlMessage;
      if (message === 'order_fenced' || message === 'fenced') throw new FencedWriteError(`order ${o.orderId}`, { cause: err });
      throw err;
    }
    return next;
  }

  /** A user's orders, newest first, after the cursor (created_at, order_id) if given. */
  async listByUser(userId: string, limit: number, after?: { createdAt: number; orderId: string }): Promise<OrderRecord[]> {
    const [rows] = after
      ? await this.pool.query(
        `SELECT * FROM orders WHERE user_id = ? AND (created_at < ? OR (created_at = ? AND order_id < ?))
         ORDER BY created_at DESC, order_id DESC LIMIT ?`,
        [userId, after.createdAt, after.createdAt, after.orderId, limit],
      )
      : await this.pool.query('SELECT * FROM orders WHERE user_id = ? ORDER BY created_at DESC, order_id DESC LIMIT ?', [userId, limit]);
    return (rows as Row[]).map(fromRow);
  }

  /** Orders whose hold has run out unpaid, for the expiry sweep. */
  async dueForExpiry(now: number, limit: number): Promise<string[]> {
    const [rows] = await this.pool.query(
      "SELECT order_id FROM orders WHERE status IN ('pending_payment', 'payment_declined') AND reserved_until <= ? LIMIT ?",
      [now, limit],
    );
    return (rows as Row[]).map((r) => String(r.order_id));
  }

  /** Orders left in `charging` (a node died, or the provider did not answer), to resume. */
  async stuckCharging(olderThan: number, limit: number): Promise<string[]> {
    const [rows] = await this.pool.query("SELECT order_id FROM orders WHERE status = 'charging' AND updated_at <= ? LIMIT ?", [olderThan, limit]);
    return (rows as Row[]).map((r) => String(r.order_id));
  }
}
