// The ORDERS stream's events: one per change of an order, written to the outbox in the
// transaction that makes the change. Subject `ordersStream(cluster).subject(kind, orderId)`;
// the payload is what analytics reads (refunds are subtracted from revenue).
import type { OrderRecord } from '../../stores/mysql/orders.ts';

export type OrderEventKind = 'placed' | 'paid' | 'shipped' | 'delivered' | 'cancelled' | 'expired' | 'refunded' | 'return_requested';

const types: Record<OrderEventKind, string> = {
  placed: 'OrderPlaced', paid: 'OrderPaid', shipped: 'OrderShipped', delivered: 'OrderDelivered', cancelled: 'OrderCancelled',
  expired: 'OrderExpired', refunded: 'OrderRefunded', return_requested: 'OrderReturnRequested',
};

export interface OrderEvent {
  type: string;
  orderId: string;
  userId: string;
  /** What the customer paid (for OrderRefunded: what is given back), minor units. */
  total: number;
  currency: string;
  /**
   * What the customer paid for the goods, minor units: the lines' subtotal less the coupon's
   * discount and the points used, shipping left out. Revenue by category shares it out over
   * the lines (the lines' prices are before any discount).
   */
  goods: number;
  /** The address's country (ISO 3166 alpha-2), when the order has an address. */
  country?: string;
  lines: { sku: string; qty: number; price: number; category: string }[];
  at: number;
  [extra: string]: unknown;
}

export function orderEvent(kind: OrderEventKind, o: OrderRecord, at: number, extra: Record<string, unknown> = {}): OrderEvent {
  return {
    type: types[kind], orderId: o.orderId, userId: o.userId, total: o.total, currency: o.currency,
    goods: Math.max(0, o.subtotal - o.discount - o.pointsUsed),
    ...(o.address?.country ? { country: o.address.country } : {}),
    lines: o.lines.map((l) => ({ sku: l.sku, qty: l.qty, price: l.price, category: l.category ?? '' })),
    at, ...extra,
  };
}
