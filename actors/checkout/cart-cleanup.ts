// A paid cart order's units leave the cart. The move to `paid` stores a pending clean-up
// (`cart_cleanups`) in its own transaction; the order's node sends the removal at once, and
// the checkout sweeper sends it again from the stored row until the cart has applied or
// refused it. Left in the cart, bought units were bought again by the shopper's next
// checkout (a fault audit: 11 in a run), and a resend held only in the paying process's
// memory was lost with that process.
import type { Logger } from 'pino';
import { InvalidError, RejectedError } from '../../cluster/index.ts';
import { maxQty, refusedAsUnknown, type CartApi } from '../cart/index.ts';
import type { OrderRecord, OrderRepository } from '../../stores/mysql/orders.ts';

export interface CartCleanupDeps {
  carts: Pick<CartApi, 'boughtOnce' | 'bought'>;
  orders: Pick<OrderRepository, 'cartCleanedUp' | 'takeUnclaimedCartCleanup'>;
}

/**
 * The sweeper's first send, this long after the payment: the order's own send is usually
 * answered by then. A later answer is still safe: both send `boughtOnce`, which the cart
 * applies once, and the earlier release's removal is sent only while the sweeper has not
 * claimed the clean-up (`takeUnclaimedCartCleanup`).
 */
export const cartCleanupGraceMs = 5000;

/** The sweeper's wait after its `attempts`-th failed send: 5 s doubling to a minute. */
export const cartCleanupBackoffMs = (attempts: number): number => Math.min(60_000, 5000 * 2 ** Math.min(attempts, 4));

/** A stored clean-up older than this is given up (cart_bought_orders keeps applied orders a day). */
export const cartCleanupGiveUpMs = 23 * 3600_000;

/**
 * Sends the order's removal once. 'done': the cart applied it (now or before); 'refused': the
 * cart refused it for good; either way the stored clean-up is deleted. 'retry': no answer,
 * or a cart of the earlier release (a rolling deploy) whose answer says nothing about an
 * earlier send, so it waits for the deploy to finish. `first`: the order's own send right after the payment, which may give
 * such a cart the earlier release's own removal instead, once, as that release did.
 */
export async function sendCartCleanup(deps: CartCleanupDeps, order: OrderRecord, log: Logger, first: boolean, deadlineMs?: number): Promise<'done' | 'refused' | 'retry'> {
  // The units bought, not the whole lines: units added after the checkout stay.
  const bought = order.lines.map((l) => ({ sku: l.sku, qty: Math.min(l.qty, maxQty) }));
  try {
    await deps.carts.boughtOnce(order.userId, order.orderId, bought, deadlineMs === undefined ? {} : { deadlineMs });
  } catch (err) {
    if (first && refusedAsUnknown(err)) {
      // The plain removal subtracts and must never meet another send: it goes only if this
      // takes the clean-up before the sweeper ever claimed it (the sweeper's `boughtOnce`
      // may have reached a cart of this release meanwhile); else the sweeper carries on.
      if (!(await deps.orders.takeUnclaimedCartCleanup(order.orderId).catch(() => false))) return 'retry';
      await deps.carts.bought(order.userId, bought).catch((e: unknown) => log.warn({ err: String(e) }, 'could not remove purchased units from the cart'));
      return 'done';
    }
    // Refused for good (not a cart that does not know the op yet): sending again changes nothing.
    const refused = err instanceof RejectedError || (err instanceof InvalidError && !refusedAsUnknown(err));
    if (!refused) return 'retry';
    log.warn({ err: String(err) }, 'the cart refused to remove the purchased units');
    await deps.orders.cartCleanedUp(order.orderId).catch(() => undefined);
    return 'refused';
  }
  // Not waited for: the payment's answer need not wait on it, and a delete that fails only
  // means one more send, which the cart applies once.
  void deps.orders.cartCleanedUp(order.orderId).catch((err: unknown) => log.warn({ err: String(err) }, 'cart clean-up done but not marked; it is sent again'));
  return 'done';
}
