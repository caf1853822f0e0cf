// The order's life after payment: shipped (carrier, tracking number) → delivered, a refund
// before shipping, a return within 30 days of delivery (return_requested → the admin's
// returned → refunded). Each change is a timeline entry and an ORDERS event, written in
// one transaction; a transition from the wrong status is 409 invalid_transition.
//
// The admin's transitions follow API.md to the letter: shipping a shipped order, delivering
// a delivered one or receiving a return twice is a transition from the wrong status (409,
// with the status it is in), so a tool that ships a batch twice hears of it. A retry after
// an unknown outcome is made safe by its Idempotency-Key, which answers the first response
// again. The customer's refund and return stay answered with the order as it is when they
// were already made: the shopper asked for an outcome and has it.
import { RejectedError } from '../../cluster/index.ts';
import type { OrderRecord } from '../../stores/mysql/orders.ts';
import type { Saga } from './saga.ts';
import { orderStatus } from './public-status.ts';

export const returnWindowMs = 30 * 86_400_000;

export function invalidTransition(o: OrderRecord, to: string): RejectedError {
  return new RejectedError('invalid_transition', `order ${o.orderId} is ${orderStatus(o)}; it cannot become ${to}`, { data: { status: orderStatus(o), state: o.status, to } });
}

const afterShipping = new Set(['shipped', 'delivered', 'return_requested']);

export async function ship(saga: Saga, o: OrderRecord, carrier: string, trackingNumber: string, now: number): Promise<OrderRecord> {
  if (o.status !== 'paid') throw invalidTransition(o, 'shipped');
  return saga.move(o, {
    status: 'shipped', carrier, trackingNumber, shippedAt: now, detail: `shipped with ${carrier}, tracking ${trackingNumber}`,
    outbox: saga.event('shipped', o, now, { carrier, trackingNumber }),
  }, now);
}

export async function deliver(saga: Saga, o: OrderRecord, now: number): Promise<OrderRecord> {
  if (o.status !== 'shipped') throw invalidTransition(o, 'delivered');
  return saga.move(o, { status: 'delivered', deliveredAt: now, detail: 'delivered', outbox: saga.event('delivered', o, now) }, now);
}

/** The customer's refund: a paid order not yet shipped. Retried or resumed, it refunds once. */
export async function refund(saga: Saga, o: OrderRecord, now: number): Promise<OrderRecord> {
  if (o.status === 'refunded') return o;
  if (o.status === 'refunding') return saga.finishRefund(o);
  if (afterShipping.has(o.status)) {
    // What to do instead depends on how far it got: a return already asked for is refunded when it arrives.
    const instead = orderStatus(o) === 'return_requested' ? 'its return is requested; it is refunded when the return arrives'
      : orderStatus(o) === 'delivered' ? 'request a return instead' : 'request a return after delivery instead';
    throw new RejectedError('order_shipped', `order ${o.orderId} is ${orderStatus(o)}: ${instead}`, { data: { status: orderStatus(o), state: o.status } });
  }
  if (o.status !== 'paid') throw invalidTransition(o, 'refunded');
  const refunding = await saga.move(o, { status: 'refunding', refundTarget: 'refunded', detail: 'refund requested' }, now);
  return saga.finishRefund(refunding);
}

/** The customer's return of a delivered order, within 30 days of delivery. */
export async function requestReturn(saga: Saga, o: OrderRecord, now: number): Promise<OrderRecord> {
  if (o.status === 'return_requested') return o;
  if (o.status !== 'delivered') throw invalidTransition(o, 'return_requested');
  if (o.deliveredAt !== null && now - o.deliveredAt > returnWindowMs) {
    throw new RejectedError('return_window_closed', `order ${o.orderId} was delivered more than 30 days ago`, { data: { deliveredAt: new Date(o.deliveredAt).toISOString() } });
  }
  return saga.move(o, { status: 'return_requested', detail: 'return requested', outbox: saga.event('return_requested', o, now) }, now);
}

/** The admin received the goods back: refund and restock. */
export async function returned(saga: Saga, o: OrderRecord, now: number): Promise<OrderRecord> {
  // A refund the return began and a crash or timeout interrupted is finished, not refused
  // (one the customer began before delivery is theirs to finish).
  if (o.status === 'refunding' && o.deliveredAt !== null) return saga.finishRefund(o);
  if (o.status !== 'return_requested') throw invalidTransition(o, 'returned');
  const refunding = await saga.move(o, { status: 'refunding', refundTarget: 'refunded', detail: 'returned goods received' }, now);
  return saga.finishRefund(refunding);
}
