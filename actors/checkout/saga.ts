// The checkout saga's steps. Each step that changes the order is written to MariaDB
// (conditional on the version loaded) before it is acted on or answered, so another node
// can resume any order from the stored state: reservations are idempotent by id, a charge
// in progress is repeated with its stored idempotency key, never made afresh, and a
// refund in progress (`refunding`) is finished step by step, each step idempotent.
import { randomBytes } from 'node:crypto';
import {
  ClusterError, RejectedError, TimeoutError, UnavailableError, type EntityContext,
} from '../../cluster/index.ts';
import type { InventoryApi } from '../inventory/index.ts';
import type { CartApi } from '../cart/index.ts';
import { ProviderTimeoutError, type ChargeRequest, type ChargeResult, type ExpectedCharge, type InlineCharge, type PaymentProvider } from '../payment/index.ts';
import type { PartOutputs } from '../../stores/mysql/journal.ts';
import { StoreUnavailableError } from '../../stores/mysql/errors.ts';
import { partsOf, type OrderRecord, type OrderRepository, type Transition } from '../../stores/mysql/orders.ts';
import type { ProductRepository } from '../../stores/mysql/products.ts';
import type { UserRepository } from '../../stores/mysql/users.ts';
import type { CouponRepository } from '../../stores/mysql/coupons.ts';
import type { WeightClass } from '../../stores/mysql/shipping.ts';
import type { OrderSummary, StartMsg } from './messages.ts';
import { orderEvent, type OrderEventKind } from './events.ts';
import { partIds, restoreIds } from './reserve.ts';
import { startOrder } from './start.ts';
import { cartCleanupGraceMs, sendCartCleanup } from './cart-cleanup.ts';
import { orderStatus } from './public-status.ts';

export interface CheckoutDeps {
  /** How long an order's entity stays in memory without a message (default: the host's). */
  idleTimeoutMs?: number;
  orders: OrderRepository;
  products: ProductRepository;
  users: UserRepository;
  inventory: InventoryApi;
  carts: CartApi;
  payments: PaymentProvider;
  /** Admin coupons (promo codes); without it only a user's own coupons apply. */
  coupons?: CouponRepository;
  /** How long an unpaid order holds its stock (RESERVATION_TTL_MS). */
  reservationTtlMs: number;
  /** Inventory holds a little longer, so a charge begun just before the end can still commit. */
  commitGraceMs: number;
  /** The ORDERS stream subject of an order's event. */
  eventSubject(kind: OrderEventKind, orderId: string): string;
  /** Told after an outbox row committed, so the relay need not wait for its poll. */
  onOutbox?(): void;
  /**
   * Told after every change to an order, for caches; awaited before the answer.
   * `userChanged`: the change also moved the user's points or coupons (their cached page).
   */
  onChange?(order: OrderRecord, userChanged: boolean): Promise<void>;
  /**
   * Warehouses with a route to a delivery cluster and their transit days, fastest first.
   * Undefined: routing is not configured, any warehouse may serve.
   */
  routesTo?(cluster: string): Promise<[warehouseId: string, days: number][] | undefined>;
  /** The shipping cost to a cluster for a weight class (minor units). */
  shippingRate?(cluster: string, weightClass: WeightClass): Promise<number | undefined>;
  /** Units of one SKU per order (MAX_UNITS_PER_SKU). */
  maxUnitsPerSku: number;
  /** Unpaid orders one user may hold (MAX_OPEN_ORDERS). */
  maxOpenOrders: number;
  /** Test hook: die right after this step (`after_charge`, `after_refund`), to prove recovery. */
  failpoint?: string;
}

/** One reward point per whole currency unit paid. */
export const rewardPointsFor = (total: number) => Math.floor(total / 100);

/** Random bytes drawn 4 KiB at a time: a call of randomBytes per order was 2.5% of the gateway's time in a flash sale. */
let entropy = randomBytes(4096);
let entropyAt = 0;

export function newOrderId(): string {
  if (entropyAt + 6 > entropy.length) {
    entropy = randomBytes(4096);
    entropyAt = 0;
  }
  const random = entropy.toString('hex', entropyAt, entropyAt + 6);
  entropyAt += 6;
  return `o${Date.now().toString(36)}${random}`;
}

export function summary(o: OrderRecord): OrderSummary {
  const s: OrderSummary = {
    orderId: o.orderId, status: orderStatus(o), subtotal: o.subtotal, discount: o.discount, pointsUsed: o.pointsUsed, shipping: o.shipping,
    total: o.total, currency: o.currency, reservedUntil: new Date(o.reservedUntil).toISOString(),
  };
  if (o.deliveryDays !== null) s.delivery = { eta: new Date(o.createdAt + o.deliveryDays * 86_400_000).toISOString().slice(0, 10), days: o.deliveryDays };
  return s;
}

/**
 * A pay that failed after the card was charged: 503 `payment_pending` to its caller, never a
 * code that says nothing was applied. `cause` is what failed, which decides whether the
 * entity must stop (fenced) or reload (the store did not answer).
 */
export class ChargedNotFinishedError extends ClusterError {
  override name = 'ChargedNotFinishedError';
  constructor(cause: unknown, message = 'the payment went through and the order is being completed; retry with the same key') {
    super('payment_pending', message, { retryable: true, cause });
  }
}

/** A charge whose stock hold had run out, its refund not finished yet. */
const refundingMessage = 'the stock hold ran out before the payment completed; the payment is being refunded (a retry or the sweeper finishes it)';

export const notFound = (orderId: string) => new RejectedError('not_found', `no order ${orderId}`);

/** Points and coupon an unpaid order took at checkout, given back when it closes unpaid. */
const giveBack = (o: OrderRecord): Partial<Transition> => ({
  ...(o.couponCode ? { freeCoupon: o.couponCode } : {}),
  ...(o.pointsUsed > 0 ? { rewardPoints: o.pointsUsed } : {}),
});

export class Saga {
  constructor(readonly deps: CheckoutDeps, readonly ctx: EntityContext) {}

  get orderId(): string {
    return this.ctx.id;
  }

  /** Takes the items, prices them, reserves every line (all or nothing) and records the order. */
  start(msg: StartMsg, now: number): Promise<OrderRecord> {
    return startOrder(this, msg, now);
  }

  /** Writes a step with its timeline entry, then tells the caches before anyone is answered. */
  async move(order: OrderRecord, t: Transition, now: number): Promise<OrderRecord> {
    return (await this.moveWith(order, t, now)).order;
  }

  /** `move`, committing `also` in the same transaction and returning its outputs. */
  private async moveWith(order: OrderRecord, t: Transition, now: number, also?: InlineCharge): Promise<{ order: OrderRecord; outputs: PartOutputs }> {
    const { order: next, outputs } = await this.deps.orders.transitionWith(order, t, now, also);
    if (t.outbox) this.deps.onOutbox?.();
    // Before answering, so a read right after the answer never shows the old state.
    await this.deps.onChange?.(next, Boolean(t.rewardPoints || t.takePoints || t.freeCoupon));
    return { order: next, outputs };
  }

  /** The ORDERS event of a change, as an outbox row of its transaction. */
  event(kind: OrderEventKind, order: OrderRecord, at: number, extra?: Record<string, unknown>): Transition['outbox'] {
    return { subject: this.deps.eventSubject(kind, order.orderId), payload: orderEvent(kind, order, at, extra) };
  }

  /**
   * Charges the order: a new attempt, or the one in progress again with its own key. A
   * provider that knows a new attempt's outcome up front (the simulator) is paid in one
   * write after the stock commit (`payInOneWrite`). One whose books share this database
   * records the charge in the same write as the move to `charging`; any other is called
   * after that write. Either way a crash before the answer leaves a `charging` order whose
   * charge is repeated with the same key, never made afresh.
   */
  async pay(order: OrderRecord, token: string | undefined, now: number): Promise<OrderRecord> {
    if (order.status === 'charging') return this.settle(order, this.deps.payments.charge(this.chargeRequest(order)));
    if (token === undefined) return order;
    const attempt = order.paymentAttempts + 1;
    const t: Transition = {
      status: 'charging', paymentKey: `${order.orderId}:${attempt}`, paymentToken: token, paymentAttempts: attempt, detail: `payment attempt ${attempt}`,
    };
    const inline = this.deps.payments.inline?.(this.chargeRequest(order, t.paymentKey!, token));
    if (inline?.expected) return this.payInOneWrite(order, t, inline, inline.expected);
    if (inline) return this.payInSteps(order, t, inline, now);
    const moved = await this.move(order, t, now);
    return this.settle(moved, this.deps.payments.charge(this.chargeRequest(moved)));
  }

  /** A `charging` order once its provider answers: declined, or paid with its stock. */
  private async settle(order: OrderRecord, answer: Promise<ChargeResult>): Promise<OrderRecord> {
    let result;
    try {
      result = await answer;
    } catch (err) {
      if (err instanceof ProviderTimeoutError) {
        throw new ClusterError('payment_pending', 'the payment provider did not answer; retry (the same charge is repeated, never doubled)', { retryable: true });
      }
      throw new ClusterError('payment_pending', 'the payment provider failed; retry', { retryable: true, cause: err });
    }
    if (result.status === 'declined') return this.move(order, declinedTransition(result.reason), Date.now());
    if (this.deps.failpoint === 'after_charge') process.kill(process.pid, 'SIGKILL');
    return this.fulfil(order, result.paymentId);
  }

  /**
   * A charge whose outcome the provider knows up front (the simulator), in one write: the
   * stock is committed first, then the move to `charging`, the charge and the move to its
   * outcome commit together, and the order is never seen `charging`.
   *
   * The stock is committed first because a failure after it costs nothing: units committed
   * for an order that then is not paid (the write failed, the node died, nobody retried)
   * are its own units, taken from nobody, and its expiry or cancellation puts them back on
   * the shelf (`returnStock`, finished by the sweeper if it is lost). Paid first, a failure
   * could sell a unit twice: a paid order whose commit had not happened yet, its hold
   * running out meanwhile. A hold that ran out before the stock was committed charges
   * nothing: the order expires. A predicted decline commits no stock.
   */
  private async payInOneWrite(order: OrderRecord, charging: Transition, inline: InlineCharge, expected: ExpectedCharge): Promise<OrderRecord> {
    const approved = expected.result.status === 'approved';
    if (approved) {
      const committed = await this.commitStock(order);
      if (committed === 'hold_lost') return this.expire(order, Date.now());
      if (this.deps.failpoint === 'after_stock') process.kill(process.pid, 'SIGKILL');
    }
    const now = Date.now();
    const result = expected.result;
    const outcome = result.status === 'approved' ? this.paidTransition(order, result.paymentId, now) : declinedTransition(result.reason);
    let moved: { order: OrderRecord; outputs: PartOutputs };
    try {
      moved = await this.deps.orders.transitionTwice(order, charging, { statements: expected.statements, outputs: [], ...(expected.merge ? { merge: expected.merge } : {}) }, outcome, now);
    } catch (err) {
      // The key had a charge recorded with another outcome (not a new attempt after all):
      // nothing was written; pay the ordinary way, which reads that outcome and acts on it.
      if ((err as { sqlMessage?: unknown }).sqlMessage !== 'charge_unexpected') throw err;
      return this.payInSteps(order, charging, inline, now);
    }
    if (outcome.outbox) this.deps.onOutbox?.();
    await this.deps.onChange?.(moved.order, Boolean(outcome.rewardPoints));
    // The processor's network time, as for any charge. Its answer is the outcome the write
    // checked was recorded; the order is durable in that state whatever happens here.
    await expected.answered();
    if (!approved) return moved.order;
    if (this.deps.failpoint === 'after_charge') process.kill(process.pid, 'SIGKILL');
    await this.afterPaid(moved.order);
    return moved.order;
  }

  /** The ordinary path: `charging` with the charge, the provider's answer, then its outcome. */
  private async payInSteps(order: OrderRecord, charging: Transition, inline: InlineCharge, now: number): Promise<OrderRecord> {
    const moved = await this.moveWith(order, charging, now, inline);
    return this.settle(moved.order, inline.settle(moved.outputs));
  }

  /** Commits every reservation of the order: done, a hold that ran out, or a throw when unclear. */
  private async commitStock(order: OrderRecord): Promise<'committed' | 'hold_lost'> {
    // Tests: the inventory refusing the commit as "not applied" (a node moving, say).
    if (this.deps.failpoint === 'stock_unavailable') throw new UnavailableError('failpoint stock_unavailable: the stock commit was not applied');
    const outcomes = await Promise.all(partIds(order.lines).map(({ sku, id }) =>
      this.deps.inventory.commit(sku, id, { deadlineMs: 10_000 }).then(() => undefined, (err: unknown) => err)));
    if (outcomes.some((e) => e instanceof RejectedError)) return 'hold_lost';
    const unknown = outcomes.find((e) => e !== undefined);
    if (unknown) throw unknown instanceof ClusterError ? unknown : new TimeoutError('committing the stock did not finish; retry');
    return 'committed';
  }

  /** The charge of `order` under `key` and `token` (by default the ones it records). */
  private chargeRequest(order: OrderRecord, key = order.paymentKey!, token = order.paymentToken!): ChargeRequest {
    return { idempotencyKey: key, orderId: order.orderId, amount: order.total, currency: order.currency, token };
  }

  /**
   * Charged: commit every reservation, then record the order paid (with points and the
   * event). Whatever fails from here on (an inventory ask "not sent", a node moving, the
   * database refusing the move to `paid`), this pay did something, so its caller must not
   * hear "nothing was applied": a retry with the same key finds the recorded charge,
   * repeats it under its key (never doubled) and finishes the order.
   */
  private async fulfil(order: OrderRecord, paymentId: string): Promise<OrderRecord> {
    const committed = await this.commitStock(order).catch((err: unknown) => { throw new ChargedNotFinishedError(err); });
    if (committed === 'hold_lost') {
      // A hold ran out before the charge could be completed: unwind (money back, units
      // back) as a refund that ends `failed`; a step that fails stays pending for the sweeper.
      try {
        const unwinding = await this.move(order, { status: 'refunding', paymentId, refundTarget: 'failed', detail: 'stock hold ran out; refunding the payment' }, Date.now());
        return await this.finishRefund(unwinding);
      } catch (err) {
        throw new ChargedNotFinishedError(err, refundingMessage);
      }
    }
    const now = Date.now();
    const paid = await this.recordPaid(order, paymentId, now).catch((err: unknown) => { throw new ChargedNotFinishedError(err); });
    await this.afterPaid(paid);
    return paid;
  }

  private recordPaid(order: OrderRecord, paymentId: string, now: number): Promise<OrderRecord> {
    // Tests: the database refusing the move to `paid` after the charge and the stock commit.
    if (this.deps.failpoint === 'paid_unavailable') return Promise.reject(new StoreUnavailableError('failpoint paid_unavailable: the move to paid was not applied'));
    return this.move(order, this.paidTransition(order, paymentId, now), now);
  }

  /** The move to `paid`: reward points earned, and OrderPlaced, the event of a paid order (analytics counts it as revenue). */
  private paidTransition(order: OrderRecord, paymentId: string, now: number): Transition {
    const earned = rewardPointsFor(order.total);
    return {
      status: 'paid', paymentId, paidAt: now, detail: `paid ${order.total} ${order.currency}`, rewardPoints: earned, pointsEarned: earned,
      outbox: this.event('placed', order, now),
      ...(order.source === 'cart' ? { cartCleanup: { paidAt: now, firstAt: now + cartCleanupGraceMs } } : {}),
    };
  }

  /**
   * A paid cart order's lines leave the cart: after the order is durable, so a failure here
   * leaves lines in the cart, not a lost sale. Unanswered, the checkout sweeper sends it
   * again from the clean-up the move to `paid` stored (cart-cleanup.ts).
   */
  private async afterPaid(order: OrderRecord): Promise<void> {
    if (order.source !== 'cart') return;
    const log = this.ctx.log.child({ orderId: order.orderId });
    if ((await sendCartCleanup(this.deps, order, log, true)) === 'retry') {
      log.warn('could not remove purchased units from the cart yet; the checkout sweeper sends it again');
    }
  }

  /**
   * Finishes a refund in progress: the money back (idempotent at the provider), every
   * reservation restored (idempotent per id: committed units go back on sale, held ones are
   * released), then the final status with points and coupon given back and the event, in
   * one transaction. A step that fails leaves the order `refunding`; a retry or the sweeper
   * runs it again, and nothing is given back twice.
   */
  async finishRefund(order: OrderRecord): Promise<OrderRecord> {
    const { deps } = this;
    if (order.paymentId) {
      try {
        await deps.payments.refund(order.paymentId);
      } catch (err) {
        throw new UnavailableError('the payment provider did not take the refund; it is retried', { cause: err });
      }
    }
    if (deps.failpoint === 'after_refund') process.kill(process.pid, 'SIGKILL');
    const restored = await Promise.all(order.lines.flatMap((line) => partsOf(line).map((p) =>
      deps.inventory.restore(line.sku, p.reservationId, { deadlineMs: 10_000 }).then(() => true, (err: unknown) => err instanceof RejectedError && err.code === 'reservation_not_found'))));
    if (!restored.every(Boolean)) throw new UnavailableError('some units could not be put back yet; the refund finishes on retry');
    const now = Date.now();
    if (order.refundTarget === 'failed') {
      return this.move(order, { status: 'failed', refundTarget: null, refundedAt: now, detail: 'payment refunded; stock released', ...giveBack(order) }, now);
    }
    return this.move(order, {
      status: 'refunded', refundTarget: null, refundedAt: now, detail: `refunded ${order.total} ${order.currency}`,
      ...giveBack(order),
      ...(order.pointsEarned > 0 ? { takePoints: order.pointsEarned } : {}),
      outbox: this.event('refunded', order, now),
    }, now);
  }

  /**
   * Stored first, given back after: a crash in between leaves a closed order, never an open
   * order holding nothing. Its held units expire with their hold; units committed ahead of a
   * payment that did not happen go back on sale; the close marks the return as pending
   * until it is done, so the sweeper finishes one that a crash cut short. The other
   * order would not be safe: a stale activation could put back units that the order's new
   * owner had just committed for a payment it then recorded.
   */
  async cancel(order: OrderRecord, now: number): Promise<OrderRecord> {
    const next = await this.move(order, { status: 'cancelled', detail: 'cancelled by the customer', ...giveBack(order), outbox: this.event('cancelled', order, now), stockReturn: true }, now);
    await returnStock(this.deps, order);
    return next;
  }

  async expire(order: OrderRecord, now: number): Promise<OrderRecord> {
    const next = await this.move(order, { status: 'expired', detail: 'not paid in time; stock released', ...giveBack(order), outbox: this.event('expired', order, now), stockReturn: true }, now);
    await returnStock(this.deps, order);
    return next;
  }
}

/**
 * Gives back every reservation of an order that closed unpaid (its close stored
 * `stockReturn`), then clears the mark. Anything unanswered leaves the mark, and the
 * sweeper (`pendingStockReturns`) runs this again, however much later.
 */
export async function returnStock(deps: Pick<CheckoutDeps, 'inventory' | 'orders'>, order: OrderRecord): Promise<boolean> {
  if (!(await restoreIds(deps.inventory, partIds(order.lines)))) return false;
  // The order is closed whatever happens here: a mark left set only costs the sweeper
  // another round of restores, each a no-op by then.
  return deps.orders.stockReturned(order.orderId).then(() => true, () => false);
}

/** The move to `payment_declined`: the order stays open for another card. */
const declinedTransition = (reason: string): Transition => ({ status: 'payment_declined', detail: `declined: ${reason}` });
