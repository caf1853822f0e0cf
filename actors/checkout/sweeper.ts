// Keeps every order moving when nobody asks about it: unpaid orders past their hold are
// expired (stock released), payments left in progress (a node died between charge and
// commit, or the provider went silent) are resumed with their stored key, and refunds left
// in progress (a node died mid-refund, a restore failed) are finished.
import type { Logger } from 'pino';
import { periodicSingleton, type ClusterClient, type Singleton } from '../../cluster/index.ts';
import type { OrderRepository } from '../../stores/mysql/orders.ts';
import { checkoutType } from './messages.ts';

export interface CheckoutSweeperDeps {
  orders: OrderRepository;
  client: ClusterClient;
  log: Logger;
  intervalMs: number;
  /** A payment still `charging` after this long is resumed. */
  resumeAfterMs: number;
}

export function checkoutSweeper(deps: CheckoutSweeperDeps): Singleton {
  return periodicSingleton('checkout-sweeper', deps.intervalMs, () => sweepOrders(deps));
}

export async function sweepOrders(deps: CheckoutSweeperDeps): Promise<number> {
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
    return due.length + stuck.length;
  } catch (err) {
    deps.log.warn({ err: String(err) }, 'order sweep failed; next round retries');
    return 0;
  }
}
