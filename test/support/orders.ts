// An order record for tests that write orders through the repository: an unpaid order
// with nothing in it, and whatever the test names.
import type { OrderRecord } from '../../stores/mysql/orders.ts';

export function newOrder(fields: Partial<OrderRecord> & Pick<OrderRecord, 'orderId' | 'userId'>): OrderRecord {
  return {
    status: 'pending_payment', version: 1, source: 'items', lines: [], currency: 'USD', subtotal: 0, discount: 0, total: 0,
    couponCode: null, address: null, reservedUntil: 0, paymentKey: null, paymentToken: null, paymentAttempts: 0, paymentId: null,
    createdAt: 1, paidAt: null, updatedAt: 1, shipping: 0, pointsUsed: 0, pointsEarned: 0, couponKind: null, deliveryDays: null,
    carrier: null, trackingNumber: null, shippedAt: null, deliveredAt: null, refundTarget: null, refundedAt: null,
    ...fields,
  };
}
