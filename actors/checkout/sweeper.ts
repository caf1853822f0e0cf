// Keeps every order moving when nobody asks about it: unpaid orders past their hold are
// expired (stock released), payments left in progress (a node died between charge and
// commit, or the provider went silent) are resumed with their stored key, refunds left
// in progress (a node died mid-refund, a restore failed) are finished, and reservations no
// open order will use (a release lost to a database restart, an order never recorded, stock
// committed for a payment that did not happen) are given back, and paid cart orders whose
// units are still in the cart are taken out of it.
import type { Logger } from 'pino';
import { periodicSingleton, type ClusterClient, type Singleton } from '../../cluster/index.ts';
import type { OrderRepository } from '../../stores/mysql/orders.ts';
import type { InventoryApi } from '../inventory/index.ts';
import type { CartApi } from '../cart/index.ts';
import { cartCleanupBackoffMs, cartCleanupGiveUpMs, sendCartCleanup } from './cart-cleanup.ts';
import { checkoutType } from './messages.ts';
import { restoreIds } from './reserve.ts';
import { returnStock } from './saga.ts';

export interface CheckoutSweeperDeps {
  orders: OrderRepository;
  client: ClusterClient;
  log: Logger;
  intervalMs: number;
  /** A payment still `charging` after this long is resumed. */
  resumeAfterMs: number;
  /** Releases loose reservations; without it they wait for their own expiry. */
  inventory?: InventoryApi;
  /** A reservation whose order was never recorded is looked at after this long (default 15 s). */
  unrecordedAfterMs?: number;
  /** Sends paid cart orders' removals left unanswered; without it they wait in cart_cleanups. */
  carts?: Pick<CartApi, 'boughtOnce' | 'bought'>;
}

/**
 * Reservations of a closed order are given back here (nothing can reopen it): held ones
 * released, committed ones (stock committed ahead of a payment that did not happen) put
 * back on the shelf. Orders marked at their close are found by the mark, whenever that was;
 * held reservations of older closed orders, by their own scan. Those of an
 * order never recorded go through the order's own entity, which runs them after any
 * checkout of that id still at work and does nothing if it recorded the order after all,
 * so no age is too short to be safe; the age only spares the entity needless asks.
 */
async function releaseLoose(deps: CheckoutSweeperDeps, inventory: InventoryApi, now: number): Promise<number> {
  // Orders closed unpaid whose stock return a crash or an outage cut short (the entity
  // gives it back right after the close; a few seconds' grace spares racing it).
  const returns = await deps.orders.pendingStockReturns(now - 5000, 100);
  if (returns.length > 0) {
    deps.log.info({ orders: returns.slice(0, 10).map((o) => o.orderId), count: returns.length }, 'giving back the stock of orders that closed unpaid');
    await Promise.all(returns.map((order) => returnStock({ inventory, orders: deps.orders }, order)));
  }
  const loose = await deps.orders.looseReservations(now - (deps.unrecordedAfterMs ?? 15_000), 100);
  if (loose.length === 0) return returns.length;
  deps.log.info({ reservations: loose.length, orders: [...new Set(loose.map((r) => r.owner))].slice(0, 10) }, 'releasing reservations no open order holds');
  await restoreIds(inventory, loose.filter((r) => r.recorded));
  const unrecorded = new Map<string, { sku: string; id: string }[]>();
  for (const r of loose) if (!r.recorded) unrecorded.set(r.owner, [...(unrecorded.get(r.owner) ?? []), { sku: r.sku, id: r.id }]);
  await Promise.all([...unrecorded].map(([orderId, reservations]) =>
    deps.client.ask(checkoutType, orderId, { op: 'abandon', reservations }, { idempotent: true, deadlineMs: 15_000 }).catch((err: unknown) => {
      deps.log.warn({ err: String(err), orderId }, 'releasing an unrecorded order\'s reservations failed; next round retries');
    })));
  return returns.length + loose.length;
}

/**
 * Paid cart orders whose removal from the cart was not answered (cart-cleanup.ts), sent
 * again; each failure waits longer, and one still unanswered after most of a day is given
 * up (the cart's record of applied orders lasts a day).
 */
async function finishCartCleanups(deps: CheckoutSweeperDeps, carts: NonNullable<CheckoutSweeperDeps['carts']>, now: number): Promise<number> {
  const due = await deps.orders.dueCartCleanups(now, 100);
  if (due.length > 0) deps.log.info({ orders: due.slice(0, 10).map((d) => d.order.orderId), count: due.length }, 'removing paid orders\' units from their carts');
  await Promise.all(due.map(async ({ order, paidAt, attempts }) => {
    const log = deps.log.child({ orderId: order.orderId });
    if (now - paidAt > cartCleanupGiveUpMs) {
      log.error('gave up removing the purchased units from the cart; they are still in it');
      return deps.orders.cartCleanedUp(order.orderId);
    }
    // Claimed first: the order's own first send then no longer falls back to the earlier
    // release's removal, which this send may meet (cart-cleanup.ts). The claim also sets
    // the next try, so a failed send needs no second write.
    if (!(await deps.orders.claimCartCleanup(order.orderId, attempts, Date.now() + cartCleanupBackoffMs(attempts)))) return;
    // A short deadline: a cart that cannot answer must not hold up the sweep's other work.
    if ((await sendCartCleanup({ carts, orders: deps.orders }, order, log, false, 2000)) === 'done') log.info('removed the purchased units from the cart');
  }));
  return due.length;
}

export function checkoutSweeper(deps: CheckoutSweeperDeps): Singleton {
  // At most every 10 s: the query reads every active reservation.
  const looseEveryMs = Math.min(10_000, deps.unrecordedAfterMs ?? 15_000);
  let looseAt = 0;
  return periodicSingleton('checkout-sweeper', deps.intervalMs, () => {
    const loose = Date.now() - looseAt >= looseEveryMs;
    if (loose) looseAt = Date.now();
    return sweepOrders(deps, loose);
  });
}

export async function sweepOrders(deps: CheckoutSweeperDeps, withLoose = true): Promise<number> {
  try {
    const now = Date.now();
    const [due, charging, refunding] = await Promise.all([
      deps.orders.dueForExpiry(now, 200), deps.orders.stuckCharging(now - deps.resumeAfterMs, 100), deps.orders.stuckRefunding(now - deps.resumeAfterMs, 100),
    ]);
    // A refund (or an unwound sale) left half-way is finished like a charge: step by step, each idempotent.
    const stuck = [...charging, ...refunding];
    const tell = (orderId: string, op: 'expire' | 'resume') =>
      deps.client.ask(checkoutType, orderId, { op }, { idempotent: true, deadlineMs: 15_000 }).catch((err: unknown) => {
        deps.log.warn({ err: String(err), orderId, op }, 'order sweep step failed; next round retries');
      });
    await Promise.all([...due.map((id) => tell(id, 'expire')), ...stuck.map((id) => tell(id, 'resume'))]);
    const loose = deps.inventory && withLoose ? await releaseLoose(deps, deps.inventory, now) : 0;
    const cleanups = deps.carts ? await finishCartCleanups(deps, deps.carts, now) : 0;
    return due.length + stuck.length + loose + cleanups;
  } catch (err) {
    deps.log.warn({ err: String(err) }, 'order sweep failed; next round retries');
    return 0;
  }
}
