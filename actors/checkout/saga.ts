// The checkout saga's steps. Each step that changes the order is written to MariaDB
// (conditional on the version loaded) before it is acted on or answered, so another node
// can resume any order from the stored state: reservations are idempotent by id, and a
// charge in progress is repeated with its stored idempotency key, never made afresh.
import { randomBytes } from 'node:crypto';
import {
  ClusterError, RejectedError, TimeoutError, UnavailableError, type EntityContext,
} from '../../cluster/index.ts';
import type { InventoryApi } from '../inventory/index.ts';
import type { CartApi } from '../cart/index.ts';
import { ProviderTimeoutError, type PaymentProvider } from '../payment/index.ts';
import { CouponTakenError, type OrderAddress, type OrderLine, type OrderRecord, type OrderRepository, type Transition } from '../../stores/mysql/orders.ts';
import type { ProductRepository } from '../../stores/mysql/products.ts';
import type { UserRepository } from '../../stores/mysql/users.ts';
import type { OrderSummary, StartMsg } from './messages.ts';

export interface CheckoutDeps {
  orders: OrderRepository;
  products: ProductRepository;
  users: UserRepository;
  inventory: InventoryApi;
  carts: CartApi;
  payments: PaymentProvider;
  /** How long an unpaid order holds its stock (RESERVATION_TTL_MS). */
  reservationTtlMs: number;
  /** Inventory holds a little longer, so a charge begun just before the end can still commit. */
  commitGraceMs: number;
  ordersSubject(orderId: string): string;
  /** Told after an outbox row committed, so the relay need not wait for its poll. */
  onOutbox?(): void;
  /** Told after every change to an order, for caches; awaited before the answer. */
  onChange?(order: OrderRecord): Promise<void>;
  /** Warehouses to try first for a SKU shipped to a delivery cluster (fastest first). */
  preferWarehouses?(sku: string, cluster: string | null): Promise<string[] | undefined>;
  /** Test hook: die right after this step (`after_charge`), to prove recovery. */
  failpoint?: string;
}

/** One reward point per whole currency unit paid. */
export const rewardPointsFor = (total: number) => Math.floor(total / 100);

export function newOrderId(): string {
  return `o${Date.now().toString(36)}${randomBytes(6).toString('hex')}`;
}

export function summary(o: OrderRecord): OrderSummary {
  return { orderId: o.orderId, status: o.status, total: o.total, currency: o.currency, reservedUntil: new Date(o.reservedUntil).toISOString() };
}

export const notFound = (orderId: string) => new RejectedError('not_found', `no order ${orderId}`);

export class Saga {
  constructor(private readonly deps: CheckoutDeps, private readonly ctx: EntityContext) {}

  private get orderId(): string {
    return this.ctx.id;
  }

  /** Takes the items, reserves every line (all or nothing) and records the order. */
  async start(msg: StartMsg, now: number): Promise<OrderRecord> {
    const { deps } = this;
    let wanted = msg.items;
    const source = wanted ? 'items' : 'cart';
    if (!wanted) wanted = (await deps.carts.get(msg.userId)).items.map((i) => ({ sku: i.sku, qty: i.qty }));
    if (wanted.length === 0) throw new RejectedError('cart_empty', 'the cart is empty: add items or send items to buy now');
    const merged = new Map<string, number>();
    for (const it of wanted) merged.set(it.sku, (merged.get(it.sku) ?? 0) + it.qty);

    const products = await deps.products.getMany([...merged.keys()]);
    const unknown = [...merged.keys()].filter((sku) => !products.has(sku));
    if (unknown.length > 0) throw new RejectedError('unknown_sku', `unknown SKU: ${unknown.join(', ')}`, { data: { skus: unknown } });
    const currencies = new Set([...products.values()].map((p) => p.currency));
    if (currencies.size > 1) throw new RejectedError('mixed_currency', 'the items are priced in more than one currency', { data: { currencies: [...currencies] } });

    const user = await deps.users.load(msg.userId);
    if (!user) throw new RejectedError('not_found', 'no such user');
    const addressId = msg.addressId ?? user.defaultAddressId;
    const found = addressId ? user.addresses.find((a) => a.addressId === addressId) : undefined;
    if (msg.addressId !== undefined && !found) throw new RejectedError('address_not_found', `no address ${msg.addressId}`);
    const address: OrderAddress | null = found
      ? { addressId: found.addressId, line1: found.line1, city: found.city, region: found.region, country: found.country, postalCode: found.postalCode, cluster: found.cluster }
      : null;

    const lines: OrderLine[] = [...merged.entries()].map(([sku, qty], i) => {
      const p = products.get(sku)!;
      return { sku, qty, price: p.price, title: p.title, reservationId: `${this.orderId}-${i}`, warehouseId: '' };
    });
    const subtotal = lines.reduce((n, l) => n + l.price * l.qty, 0);
    let discount = 0;
    if (msg.couponCode !== undefined) {
      const coupon = user.coupons.find((c) => c.code === msg.couponCode && (c.expiresAt === null || c.expiresAt > now));
      if (!coupon) throw new RejectedError('coupon_invalid', `coupon ${msg.couponCode} is unknown, used or expired`);
      discount = Math.floor((subtotal * coupon.discountPercent) / 100);
    }

    await this.reserveAll(lines, address?.cluster ?? null);
    const order: OrderRecord = {
      orderId: this.orderId, userId: msg.userId, status: 'pending_payment', version: 1, source, lines,
      currency: [...currencies][0] ?? 'USD', subtotal, discount, total: subtotal - discount, couponCode: msg.couponCode ?? null,
      address, reservedUntil: now + deps.reservationTtlMs, paymentKey: null, paymentToken: null, paymentAttempts: 0,
      paymentId: null, createdAt: now, paidAt: null, updatedAt: now,
    };
    try {
      await deps.orders.create(order, `reserved ${lines.length} line(s)`);
    } catch (err) {
      if (err instanceof CouponTakenError) {
        await this.releaseAll(lines);
        throw new RejectedError('coupon_invalid', `coupon ${msg.couponCode} is already used by another order`);
      }
      // Maybe written, maybe not: keep the reservations for the retry, which finds the
      // order if it was written; if nobody retries, they expire with their hold.
      throw new UnavailableError('the order could not be recorded; retry', { cause: err });
    }
    await deps.onChange?.(order);
    return order;
  }

  /**
   * Reserves every line. If any line is short, releases every line and says which SKUs.
   * If the outcome is unclear (a timeout, a node moving), releases nothing: the caller
   * retries the same order, whose reservation ids find what was already taken, and
   * anything left behind expires with its hold.
   */
  private async reserveAll(lines: OrderLine[], cluster: string | null): Promise<void> {
    const { deps } = this;
    const ttlMs = deps.reservationTtlMs + deps.commitGraceMs;
    const results = await Promise.all(lines.map(async (line) => {
      try {
        const prefer = await deps.preferWarehouses?.(line.sku, cluster);
        const r = await deps.inventory.reserve(line.sku, {
          reservationId: line.reservationId, qty: line.qty, ttlMs, owner: this.orderId, ...(prefer ? { preferWarehouses: prefer } : {}),
        });
        // A reservation id seen before answers with its state now: only an active one holds stock.
        if (r.status !== 'reserved') return { line, err: new RejectedError('reservation_closed', `reservation ${line.reservationId} is ${r.status}`) };
        line.warehouseId = r.warehouseId;
        return undefined;
      } catch (err) {
        return { line, err };
      }
    }));
    const failed = results.filter((r): r is { line: OrderLine; err: unknown } => r !== undefined);
    if (failed.length === 0) return;
    const short = failed.filter((f) => f.err instanceof RejectedError && f.err.code === 'insufficient_stock').map((f) => f.line.sku);
    const closed = failed.some((f) => f.err instanceof RejectedError && f.err.code === 'reservation_closed');
    if (short.length > 0 || closed) {
      // All or nothing: give back every line, including any whose answer was lost.
      await this.releaseAll(lines);
      if (short.length > 0) throw new RejectedError('insufficient_stock', `not enough stock for ${short.join(', ')}`, { data: { skus: short } });
      throw new RejectedError('order_closed', 'this order was already given up; check out again');
    }
    const first = failed[0]!.err;
    throw first instanceof ClusterError && first.retryable ? first : new UnavailableError('stock could not be reserved; retry', { cause: first });
  }

  /** Releases every line's reservation; idempotent, and a reservation never made is fine. */
  async releaseAll(lines: OrderLine[]): Promise<void> {
    await Promise.all(lines.map(async (line) => {
      try {
        await this.deps.inventory.release(line.sku, line.reservationId, { deadlineMs: 10_000 });
      } catch (err) {
        if (err instanceof RejectedError) return; // not found, or already final
        // The sweeper releases it at its expiry anyway; say so rather than fail the caller.
        this.ctx.log.warn({ err: String(err), sku: line.sku }, 'release failed; the reservation will expire on its own');
      }
    }));
  }

  private async move(order: OrderRecord, t: Transition, now: number): Promise<OrderRecord> {
    const next = await this.deps.orders.transition(order, t, now);
    if (t.outbox) this.deps.onOutbox?.();
    // Before answering, so a read right after the answer never shows the old state.
    await this.deps.onChange?.(next);
    return next;
  }

  /** Charges the order: a new attempt, or the one in progress again with its own key. */
  async pay(order: OrderRecord, token: string | undefined, now: number): Promise<OrderRecord> {
    if (order.status !== 'charging') {
      if (token === undefined) return order;
      const attempt = order.paymentAttempts + 1;
      order = await this.move(order, {
        status: 'charging', paymentKey: `${order.orderId}:${attempt}`, paymentToken: token, paymentAttempts: attempt, detail: `payment attempt ${attempt}`,
      }, now);
    }
    let result;
    try {
      result = await this.deps.payments.charge({
        idempotencyKey: order.paymentKey!, orderId: order.orderId, amount: order.total, currency: order.currency, token: order.paymentToken!,
      });
    } catch (err) {
      if (err instanceof ProviderTimeoutError) {
        throw new ClusterError('payment_pending', 'the payment provider did not answer; retry (the same charge is repeated, never doubled)', { retryable: true });
      }
      throw new ClusterError('payment_pending', 'the payment provider failed; retry', { retryable: true, cause: err });
    }
    if (result.status === 'declined') {
      return this.move(order, { status: 'payment_declined', detail: `declined: ${result.reason}` }, Date.now());
    }
    if (this.deps.failpoint === 'after_charge') process.kill(process.pid, 'SIGKILL');
    return this.fulfil(order, result.paymentId);
  }

  /** Charged: commit every reservation, then record the order paid (with points and the event). */
  private async fulfil(order: OrderRecord, paymentId: string): Promise<OrderRecord> {
    const { deps } = this;
    const outcomes = await Promise.all(order.lines.map((line) =>
      deps.inventory.commit(line.sku, line.reservationId, { deadlineMs: 10_000 }).then(() => undefined, (err: unknown) => err)));
    const lost = outcomes.filter((e) => e instanceof RejectedError);
    if (lost.length > 0) {
      // A hold ran out before the charge could be completed: put back what was committed,
      // give back what is still held, and return the money.
      await Promise.all(order.lines.map((line) => deps.inventory.restore(line.sku, line.reservationId, { deadlineMs: 10_000 }).catch(() => undefined)));
      await this.releaseAll(order.lines);
      await deps.payments.refund(paymentId);
      return this.move(order, { status: 'failed', paymentId, detail: 'stock hold ran out; payment refunded', ...(order.couponCode ? { freeCoupon: order.couponCode } : {}) }, Date.now());
    }
    const unknown = outcomes.find((e) => e !== undefined);
    if (unknown) throw unknown instanceof ClusterError ? unknown : new TimeoutError('committing the stock did not finish; retry');
    const now = Date.now();
    const paid = await this.move(order, {
      status: 'paid', paymentId, paidAt: now, detail: `paid ${order.total} ${order.currency}`,
      rewardPoints: rewardPointsFor(order.total),
      outbox: {
        subject: deps.ordersSubject(order.orderId),
        payload: { type: 'OrderPlaced', orderId: order.orderId, userId: order.userId, total: order.total, currency: order.currency, lines: order.lines.map((l) => ({ sku: l.sku, qty: l.qty, price: l.price })), at: now },
      },
    }, now);
    if (order.source === 'cart') {
      // After the order is durable; a failure here leaves lines in the cart, not a lost sale.
      for (const line of order.lines) {
        await deps.carts.remove(order.userId, line.sku).catch((err: unknown) => this.ctx.log.warn({ err: String(err) }, 'could not remove a purchased line from the cart'));
      }
    }
    return paid;
  }

  /** Stored first, released after: a crash in between leaves a closed order whose holds expire, never an open order holding nothing. */
  async cancel(order: OrderRecord, now: number): Promise<OrderRecord> {
    const next = await this.move(order, { status: 'cancelled', detail: 'cancelled by the customer', ...(order.couponCode ? { freeCoupon: order.couponCode } : {}) }, now);
    await this.releaseAll(order.lines);
    return next;
  }

  async expire(order: OrderRecord, now: number): Promise<OrderRecord> {
    const next = await this.move(order, { status: 'expired', detail: 'not paid in time; stock released', ...(order.couponCode ? { freeCoupon: order.couponCode } : {}) }, now);
    await this.releaseAll(order.lines);
    return next;
  }
}
