// The statuses a client sees (API.md: pending_payment → paid → shipped → delivered, or
// cancelled, expired, refunded, return_requested → refunded) from the saga's own, which
// also name its steps in between: `charging` (a charge awaited), `payment_declined` (still
// payable), `refunding` (a refund under way) and `failed` (charged after the stock hold
// ran out, and refunded). A client written from the contract knows only the first list:
// it offered no "Pay now" for a declined order, whose status it did not know. Answers
// carry the saga's status as `state` besides (an addition to the contract).
import type { OrderRecord } from '../../stores/mysql/orders.ts';

/** The contract's statuses (also OpenAPI's enum, gateway/schemas-orders.ts). */
export const publicStatuses = ['pending_payment', 'paid', 'shipped', 'delivered', 'cancelled', 'expired', 'refunded', 'return_requested'] as const;

export type PublicStatus = (typeof publicStatuses)[number];

const named: ReadonlySet<string> = new Set(publicStatuses);

/**
 * A saga status as the contract names it. `before` is the status the order had when a
 * refund began (what `refunding` shows until the refund is done).
 */
export function publicStatus(status: string, before: PublicStatus): PublicStatus {
  if (named.has(status)) return status as PublicStatus;
  switch (status) {
    case 'charging':
    case 'payment_declined':
      return 'pending_payment';
    case 'refunding':
      return before;
    case 'failed':
      // Never paid: the charge went back and the stock hold had run out.
      return 'expired';
    default:
      return before;
  }
}

/** An order's status as the contract names it. */
export function orderStatus(o: Pick<OrderRecord, 'status' | 'deliveredAt' | 'refundTarget'>): PublicStatus {
  // A refund under way began from a delivered order's return, from a paid one, or (the
  // unwinding of a charge that came too late) from an order never paid.
  const before: PublicStatus = o.refundTarget === 'failed' ? 'pending_payment' : o.deliveredAt !== null ? 'return_requested' : 'paid';
  return publicStatus(o.status, before);
}

/** Timeline entries' statuses as the contract names them, each `refunding` as the one before it. */
export function timelineStatuses(statuses: readonly string[]): PublicStatus[] {
  let last: PublicStatus = 'pending_payment';
  return statuses.map((s) => (last = publicStatus(s, last)));
}
