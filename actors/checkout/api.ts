// Typed calls to `checkout:<orderId>` for the gateway.
import type { AskOptions, ClusterClient } from '../../cluster/index.ts';
import { checkoutType, type OrderSummary, type StartMsg } from './messages.ts';

export class CheckoutApi {
  constructor(private readonly client: ClusterClient) {}

  /** Starting the same order id again answers with the order as it is: safe to resend. */
  start(orderId: string, msg: Omit<StartMsg, 'op'>, opts: AskOptions = {}): Promise<OrderSummary> {
    return this.client.ask(checkoutType, orderId, { op: 'start', ...msg }, { idempotent: true, deadlineMs: 15_000, ...opts });
  }

  /** Paying a paid order answers paid; a charge in progress is repeated with its own key. */
  pay(orderId: string, userId: string, token: string, opts: AskOptions = {}): Promise<{ orderId: string; status: string }> {
    return this.client.ask(checkoutType, orderId, { op: 'pay', userId, token }, { idempotent: true, deadlineMs: 20_000, ...opts });
  }

  cancel(orderId: string, userId: string, opts: AskOptions = {}): Promise<{ orderId: string; status: string }> {
    return this.client.ask(checkoutType, orderId, { op: 'cancel', userId }, { idempotent: true, deadlineMs: 15_000, ...opts });
  }

  /** Refunding a refunded order answers refunded; one in progress is finished, never repeated. */
  refund(orderId: string, userId: string, opts: AskOptions = {}): Promise<{ orderId: string; status: string }> {
    return this.client.ask(checkoutType, orderId, { op: 'refund', userId }, { idempotent: true, deadlineMs: 20_000, ...opts });
  }

  requestReturn(orderId: string, userId: string, opts: AskOptions = {}): Promise<{ orderId: string; status: string }> {
    return this.client.ask(checkoutType, orderId, { op: 'return', userId }, { idempotent: true, ...opts });
  }

  /** Admin: paid → shipped, shipped → delivered, return_requested → refunded (restocked). */
  admin(orderId: string, msg: { op: 'ship'; carrier: string; trackingNumber: string } | { op: 'deliver' } | { op: 'returned' }, opts: AskOptions = {}): Promise<{ orderId: string; status: string }> {
    return this.client.ask(checkoutType, orderId, msg, { idempotent: true, deadlineMs: 20_000, ...opts });
  }

  get(orderId: string, userId: string, opts: AskOptions = {}): Promise<OrderSummary> {
    return this.client.ask(checkoutType, orderId, { op: 'get', userId }, { idempotent: true, ...opts });
  }
}
