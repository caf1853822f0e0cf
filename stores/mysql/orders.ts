// Orders: the checkout saga's state, one row per order, moved step by step by its
// checkout actor with a version check; the status timeline; order history for readers.
import type { Pool } from './pool.ts';
import type { AddressRecord } from './users.ts';
import { claimEpoch, claimEpochAndRead, claimEpochIfExists, claimFirstEpoch, guard, type Fence } from './epochs.ts';
import { FencedWriteError, type Statement } from './writes.ts';
import { DirectWriter, mergeOf, type Merge, type MergeKind, type PartOutputs, type Writer } from './journal.ts';
import { fenceGuards, firstClaims, mergeRank, outboxRows } from './merged-writes.ts';

export type OrderStatus = 'pending_payment' | 'payment_declined' | 'charging' | 'paid' | 'cancelled' | 'expired' | 'failed'
  | 'shipped' | 'delivered' | 'refunding' | 'refunded' | 'return_requested';

/** One reservation of a line: a line larger than any one warehouse's stock has several. */
export interface LinePart { reservationId: string; warehouseId: string; qty: number }

export interface OrderLine {
  sku: string;
  qty: number;
  /** Unit price in minor units at checkout. */
  price: number;
  title: string;
  /** The first part's reservation and warehouse (every part is in `parts`). */
  reservationId: string;
  warehouseId: string;
  /** The product's category at checkout, for the ORDERS events. */
  category?: string;
  /** Every reservation holding this line (absent in orders from before parts: one part). */
  parts?: LinePart[];
}

/** A line's reservations, for orders stored before lines had parts too. */
export function partsOf(line: OrderLine): LinePart[] {
  return line.parts ?? [{ reservationId: line.reservationId, warehouseId: line.warehouseId, qty: line.qty }];
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
  /** Shipping charged, minor units. */
  shipping: number;
  pointsUsed: number;
  pointsEarned: number;
  couponKind: 'user' | 'promo' | null;
  /** Transit days of the slowest part, from its warehouse to the address's cluster. */
  deliveryDays: number | null;
  carrier: string | null;
  trackingNumber: string | null;
  shippedAt: number | null;
  deliveredAt: number | null;
  /** While `refunding`: the status it ends in. */
  refundTarget: 'refunded' | 'failed' | null;
  refundedAt: number | null;
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
  /** Points added to the user in the same transaction (on paid, and points used given back). */
  rewardPoints?: number;
  /** Points taken back from the user (those a refunded order had earned; never below zero). */
  takePoints?: number;
  pointsEarned?: number;
  /** The order's coupon, claimed at checkout, given back to the user (cancelled, expired, failed, refunded). */
  freeCoupon?: string;
  carrier?: string;
  trackingNumber?: string;
  shippedAt?: number;
  deliveredAt?: number;
  refundTarget?: 'refunded' | 'failed' | null;
  refundedAt?: number;
  /** An outbox row written in the same transaction (an ORDERS event). */
  outbox?: { subject: string; payload: unknown };
  /** The order closes unpaid: its stock is to be given back (`pendingStockReturns` until `stockReturned`). */
  stockReturn?: boolean;
  /**
   * A cart order is paid: its units are to leave the cart, first tried at `firstAt` by the
   * checkout sweeper if the order's own send did not finish it (`dueCartCleanups` until
   * `cartCleanedUp`).
   */
  cartCleanup?: { paidAt: number; firstAt: number };
}

/**
 * What commits with an order's transition (a charge recorded in this database), and, when
 * it can be written together with other orders' (journal.ts `Merge`), its merge items.
 */
export interface AlsoCommitted {
  statements: Statement[];
  outputs: string[];
  merge?: readonly Merge<unknown>[];
}

/** Why a new order could not be recorded, decided inside its transaction. */
export class OrderRefusedError extends Error {
  override name = 'OrderRefusedError';
  constructor(readonly code: 'coupon_taken' | 'insufficient_points' | 'too_many_open_orders' | 'order_exists') {
    super(code);
  }
}

/** The coupon was claimed by another order between the check and the write. */
export class CouponTakenError extends Error {
  override name = 'CouponTakenError';
}

/** Statuses of an order that holds stock and awaits (or is taking) payment. */
export const openStatuses = ['pending_payment', 'payment_declined', 'charging'] as const;
const openList = openStatuses.map((st) => `'${st}'`).join(', ');

type Row = Record<string, unknown>;


function json<T>(v: unknown): T {
  return (typeof v === 'string' ? JSON.parse(v) : v) as T;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

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
    shipping: Number(r.shipping ?? 0),
    pointsUsed: Number(r.points_used ?? 0),
    pointsEarned: Number(r.points_earned ?? 0),
    couponKind: (r.coupon_kind ?? null) as OrderRecord['couponKind'],
    deliveryDays: num(r.delivery_days),
    carrier: r.carrier == null ? null : String(r.carrier),
    trackingNumber: r.tracking_number == null ? null : String(r.tracking_number),
    shippedAt: num(r.shipped_at),
    deliveredAt: num(r.delivered_at),
    refundTarget: (r.refund_target ?? null) as OrderRecord['refundTarget'],
    refundedAt: num(r.refunded_at),
  };
}

export class OrderRepository {
  /** With `fence`, every write of an order is also conditional on that activation's epoch. */
  private readonly writer: Writer;

  /**
   * `writer`: the node's journal, so order writes share its batches (default: one transaction each).
   * `claimsOnCreate`: `fence` is epoch 1, not yet claimed: `create` claims it (see `claimingOnCreate`).
   */
  constructor(private readonly pool: Pool, private readonly fence?: Fence, writer?: Writer, private readonly claimsOnCreate = false, private readonly readOnly = false) {
    this.writer = writer ?? new DirectWriter(pool);
    this.claimed = !claimsOnCreate && !readOnly;
  }

  /**
   * Whether writes hold their fence: false for a `claimingOnCreate` repository until its
   * `create` committed, and for an `unclaimed` one.
   */
  private claimed: boolean;
  get holdsFence(): boolean {
    return this.claimed;
  }

  /**
   * Claims the order entity's next epoch and loads the order after it, in one round trip.
   * `ifExists`: only for an order that exists; for an id no order has (a made-up one), no
   * fence, no order, and no epoch row written (epochs.ts `claimEpochIfExists`).
   */
  async claimAndGet(orderId: string, ifExists = false): Promise<{ fence: Fence | undefined; order: OrderRecord | undefined }> {
    const read = { sql: 'SELECT * FROM orders WHERE order_id = ?', params: [orderId] };
    const { fence, rows } = ifExists
      ? await claimEpochIfExists<Row>(this.pool, 'checkout', orderId, { sql: 'SELECT 1 FROM orders WHERE order_id = ?', params: [orderId] }, read)
      : await claimEpochAndRead<Row>(this.pool, 'checkout', orderId, read);
    return { fence, order: rows[0] ? fromRow(rows[0]) : undefined };
  }

  claim(orderId: string): Promise<Fence> {
    return claimEpoch(this.pool, 'checkout', orderId);
  }

  /** The repository of an activation that found no order and claimed nothing: it reads, and refuses to write. */
  unclaimed(): OrderRepository {
    return new OrderRepository(this.pool, undefined, this.writer, false, true);
  }

  /** The same repository, its writes fenced by `fence` (the order's activation). */
  fencedBy(fence: Fence): OrderRepository {
    return new OrderRepository(this.pool, fence, this.writer);
  }

  /**
   * The repository of an activation that has not claimed `orderId` and will create it: its
   * `create` claims the order's first epoch in the same transaction (epochs.ts
   * `claimFirstEpoch`), and fails as fenced when someone claimed the id before; its later
   * writes are fenced by epoch 1. For a freshly minted id only: it saves a new order the
   * claim's transaction and the read of a row that cannot exist.
   */
  claimingOnCreate(orderId: string): OrderRepository {
    return new OrderRepository(this.pool, { type: 'checkout', id: orderId, epoch: 1 }, this.writer, true);
  }

  /** The fence's statement and params, to put first in a write (none when unfenced). */
  private guarded(creating = false): { statements: string[]; params: unknown[] } {
    if (!this.fence) return { statements: [], params: [] };
    const g = creating && this.claimsOnCreate ? claimFirstEpoch(this.fence.type, this.fence.id) : guard(this.fence);
    return { statements: [g.sql], params: g.params ?? [] };
  }

  /** The fence's merge items (journal.ts `Merge`), as `guarded` writes it. */
  private fenceMerges(creating = false): Merge<unknown>[] {
    if (!this.fence) return [];
    if (creating && this.claimsOnCreate) return [mergeOf(firstClaims, { type: this.fence.type, id: this.fence.id })];
    return [mergeOf(fenceGuards, this.fence)];
  }

  /** Statements and their values in order, as one transaction (or journal part). */
  private commit(statements: string[], params: unknown[], what: string, outputs: string[] = [], merge?: readonly Merge<unknown>[]): Promise<PartOutputs> {
    if (this.readOnly) return Promise.reject(new Error(`${what}: an activation that claimed nothing cannot write`));
    // The values belong to the statements in order; one Statement carrying them all is the same SQL.
    return this.writer.write([{ sql: statements.join('\n'), params }], what, outputs, merge);
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
   * Records a new order (version 1) and its first timeline entry, in one round trip, and in
   * the same transaction: checks the user's open orders (under a lock on the user's row, so
   * concurrent checkouts of one user count each other), takes the points it spends, and
   * claims its coupon, so one coupon never discounts two orders. Throws OrderRefusedError
   * (or CouponTakenError) when one of these no longer holds.
   */
  async create(o: OrderRecord, detail: string, opts: { maxOpenOrders?: number } = {}): Promise<void> {
    if (this.claimsOnCreate && this.fence?.id !== o.orderId) throw new Error(`a repository claiming ${this.fence?.id} on create cannot create ${o.orderId}`);
    const fence = this.guarded(true);
    const statements: string[] = [...fence.statements];
    const params: unknown[] = [...fence.params];
    if (opts.maxOpenOrders !== undefined) {
      statements.push(
        'SELECT reward_points INTO @shop_points FROM users WHERE user_id = ? FOR UPDATE;',
        `IF (SELECT COUNT(*) FROM orders WHERE user_id = ? AND status IN (${openList})) >= ? THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'too_many_open_orders'; END IF;`,
      );
      params.push(o.userId, o.userId, opts.maxOpenOrders);
    }
    if (o.pointsUsed > 0) {
      statements.push(
        'UPDATE users SET reward_points = reward_points - ? WHERE user_id = ? AND reward_points >= ?;',
        "IF ROW_COUNT() <> 1 THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'insufficient_points'; END IF;",
      );
      params.push(o.pointsUsed, o.userId, o.pointsUsed);
    }
    if (o.couponCode !== null && o.couponKind === 'promo') {
      statements.push(
        'UPDATE promo_coupons SET redeemed = redeemed + 1 WHERE code = ? AND redeemed < max_redemptions AND expires_at > ? AND (user_id IS NULL OR user_id = ?);',
        "IF ROW_COUNT() <> 1 THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'coupon_taken'; END IF;",
        // A once-per-user coupon's redemption collides with the user's other one (its unique key).
        'INSERT IGNORE INTO coupon_redemptions (code, user_id, order_id, at, one_per_user) SELECT ?, ?, ?, ?, IF(once_per_user, 1, NULL) FROM promo_coupons WHERE code = ?;',
        "IF ROW_COUNT() <> 1 THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'coupon_taken'; END IF;",
      );
      params.push(o.couponCode, o.createdAt, o.userId, o.couponCode, o.userId, o.orderId, o.createdAt, o.couponCode);
    } else if (o.couponCode !== null) {
      statements.push(
        'UPDATE coupons SET used_at = NOW(3) WHERE user_id = ? AND code = ? AND used_at IS NULL;',
        "IF ROW_COUNT() <> 1 THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'coupon_taken'; END IF;",
      );
      params.push(o.userId, o.couponCode);
    }
    const row = newOrderRow(o);
    const event = [o.orderId, 1, o.createdAt, o.status, detail];
    statements.push(`INSERT INTO orders ${orderColumns} VALUES (?);`, `INSERT INTO order_events ${eventColumns} VALUES (?);`);
    params.push(row, event);
    // The common order (no points spent, no coupon, an open-order limit: one without would
    // not be counted by the others' merged check) also says how it is written with others.
    const merge = o.pointsUsed === 0 && o.couponCode === null && opts.maxOpenOrders !== undefined ? [
      ...this.fenceMerges(true),
      mergeOf(openOrderLimits, { userId: o.userId, max: opts.maxOpenOrders }),
      mergeOf(orderInserts, row),
      mergeOf(orderEvents, event),
    ] : undefined;
    // A refusal above (a SIGNAL) rolls back this order's part alone: the journal sends the
    // batch again part by part, and the other orders in it commit.
    await this.commit(statements, params, `order ${o.orderId}`, [], merge).then(() => {
      this.claimed = true;
    }, (err: unknown) => {
      const message = (err as { sqlMessage?: string }).sqlMessage;
      if (message === 'coupon_taken') throw new CouponTakenError(o.couponCode ?? '');
      if (message === 'fenced') throw new FencedWriteError(`order ${o.orderId}`, { cause: err });
      if (message === 'insufficient_points' || message === 'too_many_open_orders') throw new OrderRefusedError(message);
      if ((err as { code?: string }).code === 'ER_DUP_ENTRY' || (err as { errno?: number }).errno === 1062) throw new OrderRefusedError('order_exists');
      throw err;
    });
  }

  /** How many orders of a user hold stock unpaid (a cheap check before reserving). */
  async countOpen(userId: string): Promise<number> {
    const [rows] = await this.pool.query(`SELECT COUNT(*) AS n FROM orders WHERE user_id = ? AND status IN (${openList})`, [userId]);
    return Number((rows as { n: number }[])[0]?.n ?? 0);
  }

  /**
   * Moves an order from `version` to the next, with its timeline entry (numbered by the new
   * version, so no read of the timeline is needed) and whatever else must commit with it,
   * in one transaction and one round trip. Throws FencedWriteError if the row moved.
   */
  async transition(o: OrderRecord, t: Transition, now: number): Promise<OrderRecord> {
    return (await this.transitionWith(o, t, now)).order;
  }

  /**
   * A transition that commits `also` in the same transaction, after the order's own
   * statements (so a failed fence or version check rolls it back too), and returns the
   * `@out_<name>` values it set: a payment provider whose books are in this database records
   * the charge with the move to `charging`, one part instead of two.
   */
  transitionWith(o: OrderRecord, t: Transition, now: number, also?: AlsoCommitted): Promise<{ order: OrderRecord; outputs: PartOutputs }> {
    return this.moveThrough(o, [t], now, also);
  }

  /**
   * Two transitions in one transaction, with `between` committed after the first: a charge
   * whose outcome is known up front is recorded with the move to `charging` and the move
   * to its outcome (paid, or declined), each with its timeline entry, so the order is never
   * seen `charging` and costs one write instead of two. Throws FencedWriteError if the row moved.
   */
  transitionTwice(o: OrderRecord, first: Transition, between: AlsoCommitted, second: Transition, now: number): Promise<{ order: OrderRecord; outputs: PartOutputs }> {
    return this.moveThrough(o, [first, second], now, between);
  }

  /**
   * Takes `o` through `steps` in one part: the row is updated once, straight to the last
   * state (each UPDATE of a status rewrites four secondary index entries), with one
   * timeline entry per step and what each step gives or takes along; `also` follows the
   * first step's. Throws FencedWriteError if the row moved.
   */
  private async moveThrough(o: OrderRecord, steps: Transition[], now: number, also?: AlsoCommitted): Promise<{ order: OrderRecord; outputs: PartOutputs }> {
    const states = [o];
    for (const t of steps) states.push(afterTransition(states.at(-1)!, t, now));
    const end = states.at(-1)!;
    const fence = this.guarded();
    const statements = [...fence.statements];
    const params = [...fence.params];
    const add = (more: { statements: string[]; params: unknown[] }) => {
      statements.push(...more.statements);
      params.push(...more.params);
    };
    const events = steps.map((t, i) => [o.orderId, states[i + 1]!.version, now, t.status, t.detail ?? '']);
    add(moveRow(o, end, events));
    const merge: Merge<unknown>[] = [...this.fenceMerges(), mergeOf(orderMoves, { from: o, to: end }), ...events.map((e) => mergeOf(orderEvents, e))];
    let mergeable = also === undefined || also.merge !== undefined;
    steps.forEach((t, i) => {
      const along = alongWith(states[i]!, t);
      add(along);
      if (along.merge) merge.push(...along.merge);
      else mergeable = false;
      if (i === 0 && also) {
        add({ statements: also.statements.map((st) => st.sql), params: also.statements.flatMap((st) => st.params ?? []) });
        merge.push(...also.merge ?? []);
      }
    });
    try {
      return { order: end, outputs: await this.commit(statements, params, `order ${o.orderId}`, also?.outputs, mergeable ? merge : undefined) };
    } catch (err) {
      const message = (err as { sqlMessage?: string }).sqlMessage;
      if (message === 'order_fenced' || message === 'fenced') throw new FencedWriteError(`order ${o.orderId}`, { cause: err });
      throw err;
    }
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

  /**
   * Active reservations that no open order will ever use: their order is closed (expired,
   * cancelled: the release after the move failed, say MariaDB went away), or was never
   * recorded (a checkout that gave up on an unknown outcome) and the reservation is older
   * than `unrecordedBefore`. Left alone they hold their units until the reservation's own
   * expiry, a minute and more into a flash sale. `recorded` says which kind.
   */
  async looseReservations(unrecordedBefore: number, limit: number): Promise<{ sku: string; id: string; owner: string; recorded: boolean }[]> {
    const [rows] = await this.pool.query(
      `SELECT r.sku, r.reservation_id, r.owner, o.order_id IS NOT NULL AS recorded
         FROM reservations r LEFT JOIN orders o ON o.order_id = r.owner
        WHERE r.status = 'active' AND r.owner IS NOT NULL
          AND (o.status IN ('expired', 'cancelled') OR (o.order_id IS NULL AND r.created_at <= FROM_UNIXTIME(? / 1000)))
        LIMIT ?`,
      [unrecordedBefore, limit],
    );
    return (rows as Row[]).map((r) => ({ sku: String(r.sku), id: String(r.reservation_id), owner: String(r.owner), recorded: Number(r.recorded) === 1 }));
  }

  /**
   * Orders closed unpaid whose stock was not confirmed given back yet (`stockReturn` on
   * their close; cleared by `stockReturned`), oldest first: a return lost to a crash or an
   * outage, for the sweeper to finish, however long ago the order closed.
   */
  async pendingStockReturns(closedBefore: number, limit: number): Promise<OrderRecord[]> {
    const [rows] = await this.pool.query(
      'SELECT * FROM orders WHERE stock_return_pending = 1 AND updated_at <= ? ORDER BY updated_at LIMIT ?',
      [closedBefore, limit],
    );
    return (rows as Row[]).map(fromRow);
  }

  /** Every reservation of a closed order was given back: nothing is left for the sweeper. */
  async stockReturned(orderId: string): Promise<void> {
    await this.pool.query('UPDATE orders SET stock_return_pending = 0 WHERE order_id = ?', [orderId]);
  }

  /**
   * Paid cart orders whose removal from the cart is due (`Transition.cartCleanup`), oldest
   * first, with when they were paid and how many times the sweeper claimed them so far.
   */
  async dueCartCleanups(now: number, limit: number): Promise<{ order: OrderRecord; paidAt: number; attempts: number }[]> {
    const [rows] = await this.pool.query(
      `SELECT o.*, c.paid_at AS cart_cleanup_paid_at, c.attempts AS cart_cleanup_attempts
         FROM cart_cleanups c STRAIGHT_JOIN orders o ON o.order_id = c.order_id
        WHERE c.next_at <= ? ORDER BY c.next_at LIMIT ?`,
      [now, limit],
    );
    return (rows as Row[]).map((r) => ({ order: fromRow(r), paidAt: Number(r.cart_cleanup_paid_at), attempts: Number(r.cart_cleanup_attempts) }));
  }

  /**
   * The sweeper claims a clean-up it read with `attempts` before sending it, and sets its
   * next try; false when it is gone or someone claimed it meanwhile (then it sends nothing).
   */
  async claimCartCleanup(orderId: string, attempts: number, nextAt: number): Promise<boolean> {
    const [res] = await this.pool.query('UPDATE cart_cleanups SET attempts = attempts + 1, next_at = ? WHERE order_id = ? AND attempts = ?', [nextAt, orderId, attempts]);
    return (res as { affectedRows: number }).affectedRows === 1;
  }

  /** Deletes the clean-up only if the sweeper never claimed it; true when it did. */
  async takeUnclaimedCartCleanup(orderId: string): Promise<boolean> {
    const [res] = await this.pool.query('DELETE FROM cart_cleanups WHERE order_id = ? AND attempts = 0', [orderId]);
    return (res as { affectedRows: number }).affectedRows === 1;
  }

  /** The cart applied (or refused) the order's removal: nothing is left to send. */
  async cartCleanedUp(orderId: string): Promise<void> {
    await this.pool.query('DELETE FROM cart_cleanups WHERE order_id = ?', [orderId]);
  }

  /** Orders left in `charging` (a node died, or the provider did not answer), to resume. */
  async stuckCharging(olderThan: number, limit: number): Promise<string[]> {
    const [rows] = await this.pool.query("SELECT order_id FROM orders WHERE status = 'charging' AND updated_at <= ? LIMIT ?", [olderThan, limit]);
    return (rows as Row[]).map((r) => String(r.order_id));
  }

  /** Orders left in `refunding` (a node died mid-refund, or a step failed), to finish. */
  async stuckRefunding(olderThan: number, limit: number): Promise<string[]> {
    const [rows] = await this.pool.query("SELECT order_id FROM orders WHERE status = 'refunding' AND updated_at <= ? LIMIT ?", [olderThan, limit]);
    return (rows as Row[]).map((r) => String(r.order_id));
  }
}

/** `o` as it is after `t`, one version on. */
function afterTransition(o: OrderRecord, t: Transition, now: number): OrderRecord {
  return {
    ...o,
    status: t.status,
    version: o.version + 1,
    paymentKey: t.paymentKey === undefined ? o.paymentKey : t.paymentKey,
    paymentToken: t.paymentToken === undefined ? o.paymentToken : t.paymentToken,
    paymentAttempts: t.paymentAttempts ?? o.paymentAttempts,
    paymentId: t.paymentId === undefined ? o.paymentId : t.paymentId,
    paidAt: t.paidAt ?? o.paidAt,
    updatedAt: now,
    pointsEarned: t.pointsEarned ?? o.pointsEarned,
    carrier: t.carrier ?? o.carrier,
    trackingNumber: t.trackingNumber ?? o.trackingNumber,
    shippedAt: t.shippedAt ?? o.shippedAt,
    deliveredAt: t.deliveredAt ?? o.deliveredAt,
    refundTarget: t.refundTarget === undefined ? o.refundTarget : t.refundTarget,
    refundedAt: t.refundedAt ?? o.refundedAt,
  };
}

/** The row's move from `from.version` straight to `to`, and one timeline entry (`eventColumns`) per transition taken on the way. */
function moveRow(from: OrderRecord, to: OrderRecord, events: unknown[][]): { statements: string[]; params: unknown[] } {
  const statements = [
    moveStatement,
    "IF ROW_COUNT() <> 1 THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'order_fenced'; END IF;",
    `INSERT INTO order_events ${eventColumns} VALUES ?;`,
  ];
  return { statements, params: [...movedValues(to), from.orderId, from.version, events] };
}

/**
 * What transition `t` of `o` gives or takes along: points, a coupon, its event, its stock;
 * and, when it is only points given and an event, the same as merge items.
 */
function alongWith(o: OrderRecord, t: Transition): { statements: string[]; params: unknown[]; merge?: Merge<unknown>[] } {
  const statements: string[] = [];
  const params: unknown[] = [];
  const merge: Merge<unknown>[] = [];
  if (t.rewardPoints) {
    statements.push('UPDATE users SET reward_points = reward_points + ? WHERE user_id = ?;');
    params.push(t.rewardPoints, o.userId);
    merge.push(mergeOf(pointsGiven, { userId: o.userId, points: t.rewardPoints }));
  }
  if (t.takePoints) {
    // All of them, below zero if they were spent meanwhile: stopping at zero would let a
    // refund of the order that spent them give back points that no longer exist. A
    // negative balance buys nothing (checkout needs the points it uses).
    statements.push('UPDATE users SET reward_points = reward_points - ? WHERE user_id = ?;');
    params.push(t.takePoints, o.userId);
  }
  if (t.freeCoupon && o.couponKind === 'promo') {
    statements.push(
      'DELETE FROM coupon_redemptions WHERE code = ? AND user_id = ? AND order_id = ?;',
      'IF ROW_COUNT() = 1 THEN UPDATE promo_coupons SET redeemed = redeemed - 1 WHERE code = ? AND redeemed > 0; END IF;',
    );
    params.push(t.freeCoupon, o.userId, o.orderId, t.freeCoupon);
  } else if (t.freeCoupon) {
    statements.push('UPDATE coupons SET used_at = NULL WHERE user_id = ? AND code = ?;');
    params.push(o.userId, t.freeCoupon);
  }
  if (t.outbox) {
    const row = { subject: t.outbox.subject, payload: JSON.stringify(t.outbox.payload) };
    statements.push('INSERT INTO outbox (subject, payload) VALUES (?, ?);');
    params.push(row.subject, row.payload);
    merge.push(mergeOf(outboxRows, row));
  }
  if (t.stockReturn) {
    statements.push('UPDATE orders SET stock_return_pending = 1 WHERE order_id = ?;');
    params.push(o.orderId);
  }
  if (t.cartCleanup) {
    const row = [o.orderId, t.cartCleanup.paidAt, t.cartCleanup.firstAt];
    statements.push(`INSERT INTO cart_cleanups ${cartCleanupColumns} VALUES (?);`);
    params.push(row);
    merge.push(mergeOf(cartCleanupRows, row));
  }
  const onlyMergeable = !t.takePoints && !t.freeCoupon && !t.stockReturn;
  return { statements, params, ...(onlyMergeable ? { merge } : {}) };
}

// How the parts of several orders in one journal batch are written together (journal.ts
// `Merge`): each kind is one statement (or two) for every order of the batch, where each
// order's part has it once. MariaDB spends 40-60 µs per statement whatever its rows, and an
// order's payment is eight statements.

/** A new order's columns, and its row in that order (`newOrderRow`). */
const orderColumns = `(order_id, user_id, status, version, source, lines_json, currency, subtotal, discount, total, coupon_code,
  address_json, reserved_until, payment_attempts, created_at, updated_at, shipping, points_used, coupon_kind, delivery_days)`;

function newOrderRow(o: OrderRecord): unknown[] {
  return [o.orderId, o.userId, o.status, 1, o.source, JSON.stringify(o.lines), o.currency, o.subtotal, o.discount, o.total, o.couponCode,
    o.address === null ? null : JSON.stringify(o.address), o.reservedUntil, 0, o.createdAt, o.updatedAt, o.shipping, o.pointsUsed, o.couponKind, o.deliveryDays];
}

/** The columns a transition moves, and their values after it (`movedValues`). */
const movedColumns = ['status', 'version', 'payment_key', 'payment_token', 'payment_attempts', 'payment_id', 'paid_at', 'updated_at',
  'points_earned', 'carrier', 'tracking_number', 'shipped_at', 'delivered_at', 'refund_target', 'refunded_at'] as const;

/** One order's move, fenced by its version (`movedValues`, then the order id and that version). */
const moveStatement = `UPDATE orders SET ${movedColumns.map((c) => `${c} = ?`).join(', ')} WHERE order_id = ? AND version = ?;`;

/** A timeline entry's columns. */
const eventColumns = '(order_id, seq, at, status, detail)';

function movedValues(to: OrderRecord): unknown[] {
  return [to.status, to.version, to.paymentKey, to.paymentToken, to.paymentAttempts, to.paymentId, to.paidAt, to.updatedAt,
    to.pointsEarned, to.carrier, to.trackingNumber, to.shippedAt, to.deliveredAt, to.refundTarget, to.refundedAt];
}

/**
 * The types the merged move reads `movedColumns` as. Strings are read wider than their
 * columns, so that a value too long fails the write as the order's own UPDATE would, rather
 * than being cut by JSON_TABLE.
 */
const movedTypes: Record<(typeof movedColumns)[number], string> = {
  status: 'VARCHAR(64)', version: 'INT', payment_key: 'VARCHAR(1024)', payment_token: 'VARCHAR(1024)', payment_attempts: 'INT',
  payment_id: 'VARCHAR(1024)', paid_at: 'BIGINT', updated_at: 'BIGINT', points_earned: 'BIGINT', carrier: 'VARCHAR(1024)',
  tracking_number: 'VARCHAR(1024)', shipped_at: 'BIGINT', delivered_at: 'BIGINT', refund_target: 'VARCHAR(64)', refunded_at: 'BIGINT',
};

const moveTable = `JSON_TABLE(?, '$[*]' COLUMNS (order_id VARCHAR(64) PATH '$[0]', from_version INT PATH '$[1]',
  ${movedColumns.map((c, i) => `${c} ${movedTypes[c]} PATH '$[${i + 2}]'`).join(', ')}))`;

/**
 * Orders moved from their version to the next state: one UPDATE joined to the new values
 * (one JSON parameter), failed with `order_fenced` unless every order was at its version.
 */
const orderMoves: MergeKind<{ from: OrderRecord; to: OrderRecord }> = {
  rank: mergeRank.row,
  combine: (moves) => [
    {
      // The new values first, each order found by its key: on a small table the optimizer
      // would rather scan orders, locking rows that other batches are writing.
      sql: `UPDATE ${moveTable} n STRAIGHT_JOIN orders o FORCE INDEX (PRIMARY) ON o.order_id = n.order_id AND o.version = n.from_version
        SET ${movedColumns.map((c) => `o.${c} = n.${c}`).join(', ')};`,
      params: [JSON.stringify(moves.map((m) => [m.from.orderId, m.from.version, ...movedValues(m.to)]))],
    },
    { sql: `IF ROW_COUNT() <> ${moves.length} THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'order_fenced'; END IF;` },
  ],
};

/** New orders' rows in one insert. */
const orderInserts: MergeKind<unknown[]> = {
  rank: mergeRank.row,
  combine: (rows) => [{ sql: `INSERT INTO orders ${orderColumns} VALUES ?;`, params: [rows] }],
};

/** A paid cart order's pending removal from its cart (`Transition.cartCleanup`). */
const cartCleanupColumns = '(order_id, paid_at, next_at)';

/** Paid cart orders' pending cart removals in one insert. */
const cartCleanupRows: MergeKind<unknown[]> = {
  rank: mergeRank.row,
  combine: (rows) => [{ sql: `INSERT INTO cart_cleanups ${cartCleanupColumns} VALUES ?;`, params: [rows] }],
};

/** Timeline entries (`eventColumns`) in one insert. */
const orderEvents: MergeKind<unknown[]> = {
  rank: mergeRank.rowDetail,
  combine: (rows) => [{ sql: `INSERT INTO order_events ${eventColumns} VALUES ?;`, params: [rows] }],
};

/**
 * New orders' check of their users' open orders (`create`'s `maxOpenOrders`): every user's
 * row locked, then one count of their open orders. Each user's count must leave room for all
 * of its new orders in the batch, under the smallest limit any of them was given: where one
 * would be refused on its own, the whole fails and each goes again on its own.
 */
const openOrderLimits: MergeKind<{ userId: string; max: number }> = {
  rank: mergeRank.lock,
  combine(checks) {
    const room = new Map<string, { max: number; orders: number }>();
    for (const c of checks) {
      const r = room.get(c.userId);
      room.set(c.userId, r ? { max: Math.min(r.max, c.max), orders: r.orders + 1 } : { max: c.max, orders: 1 });
    }
    const users = [...room.keys()];
    const left = users.map((u) => room.get(u)!.max - room.get(u)!.orders);
    const refuse = "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'too_many_open_orders';";
    return [
      // Each user's row by its key (as for the move above), locked as each order's own check locks it.
      {
        sql: `SELECT COUNT(*) INTO @shop_users FROM JSON_TABLE(?, '$[*]' COLUMNS (user_id VARCHAR(64) PATH '$')) j
          STRAIGHT_JOIN users u FORCE INDEX (PRIMARY) ON u.user_id = j.user_id FOR UPDATE;`,
        params: [JSON.stringify(users)],
      },
      left.some((n) => n < 0) ? { sql: refuse } : {
        sql: `IF EXISTS (SELECT 1 FROM orders WHERE user_id IN (?) AND status IN (${openList}) GROUP BY user_id
          HAVING COUNT(*) > CASE user_id ${users.map(() => 'WHEN ? THEN ?').join(' ')} END) THEN ${refuse} END IF;`,
        params: [users, ...users.flatMap((u, i) => [u, left[i]])],
      },
    ];
  },
};

/** Points given to users (`rewardPoints`): one UPDATE, each user's points summed. */
const pointsGiven: MergeKind<{ userId: string; points: number }> = {
  rank: mergeRank.sideEffect,
  combine(gifts) {
    const sums = new Map<string, number>();
    for (const g of gifts) sums.set(g.userId, (sums.get(g.userId) ?? 0) + g.points);
    const users = [...sums.keys()];
    return [{
      sql: `UPDATE users SET reward_points = reward_points + CASE user_id ${users.map(() => 'WHEN ? THEN ?').join(' ')} END WHERE user_id IN (?);`,
      params: [...users.flatMap((u) => [u, sums.get(u)]), users],
    }];
  },
};
