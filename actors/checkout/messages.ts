// The checkout saga's protocol: what can be asked of `checkout:<orderId>` and the checks
// every message passes. Every message but the sweeper's names the user, and an order is
// only ever shown or changed for its own user (anyone else is told it does not exist).
import { InvalidError } from '../../cluster/index.ts';

export const checkoutType = 'checkout';

const idPattern = /^[A-Za-z0-9_\-:@+=]{1,128}$/;
const userPattern = /^[A-Za-z0-9_-]{1,40}$/;

export interface StartMsg {
  op: 'start';
  userId: string;
  /** Buy now: these items. Absent: the user's cart. */
  items?: { sku: string; qty: number }[];
  addressId?: string;
  couponCode?: string;
  /** Reward points to spend (1 point = 1 minor unit, at most half the subtotal). */
  usePoints?: number;
  /**
   * The gateway minted this order id for this checkout (no Idempotency-Key): nothing can be
   * stored under it yet, so an entity activated by this message skips the claim and the read
   * and claims the order with the write that creates it (OrderRepository.claimingOnCreate).
   */
  fresh?: boolean;
}
export interface PayMsg { op: 'pay'; userId: string; token: string }
export interface CancelMsg { op: 'cancel'; userId: string }
export interface GetOrderMsg { op: 'get'; userId: string }
/** From the sweeper: release an unpaid order whose hold ran out. */
export interface ExpireOrderMsg { op: 'expire' }
/** From the sweeper: finish a payment left in progress (node died, provider silent). */
export interface ResumeMsg { op: 'resume' }

/**
 * From the sweeper: reservations this order's id holds while no order was ever recorded (a
 * checkout that gave up on an unknown outcome). Asked of the order's own entity, so it
 * runs after any checkout of that order still at work, never beside it.
 */
export interface AbandonMsg { op: 'abandon'; reservations: { sku: string; id: string }[] }

/** The customer: a paid order not yet shipped is refunded. */
export interface RefundMsg { op: 'refund'; userId: string }
/** The customer: a delivered order (within 30 days) goes back. */
export interface ReturnMsg { op: 'return'; userId: string }
/** Admin transitions (the gateway checks the admin token; no user is named). */
export interface ShipMsg { op: 'ship'; carrier: string; trackingNumber: string }
export interface DeliverMsg { op: 'deliver' }
export interface ReturnedMsg { op: 'returned' }

export type CheckoutMsg = StartMsg | PayMsg | CancelMsg | GetOrderMsg | ExpireOrderMsg | ResumeMsg | AbandonMsg | RefundMsg | ReturnMsg | ShipMsg | DeliverMsg | ReturnedMsg;

export interface OrderSummary {
  orderId: string;
  status: string;
  subtotal: number;
  discount: number;
  pointsUsed: number;
  shipping: number;
  /** subtotal − discount − pointsUsed + shipping */
  total: number;
  currency: string;
  reservedUntil: string;
  /** The slowest part's route from its warehouse to the address. */
  delivery?: { eta: string; days: number };
}

function str(m: Record<string, unknown>, name: string, pattern: RegExp): string {
  const v = m[name];
  if (typeof v !== 'string' || !pattern.test(v)) throw new InvalidError(`${name} is missing or malformed`);
  return v;
}

export function decodeCheckoutMsg(raw: unknown): CheckoutMsg {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InvalidError('message must be an object');
  const m = raw as Record<string, unknown>;
  switch (m.op) {
    case 'start': {
      const msg: StartMsg = { op: 'start', userId: str(m, 'userId', userPattern) };
      if (m.items !== undefined) {
        if (!Array.isArray(m.items) || m.items.length === 0 || m.items.length > 200) throw new InvalidError('items must be 1-200 { sku, qty }');
        msg.items = m.items.map((it: unknown, i: number) => {
          const item = (it ?? {}) as Record<string, unknown>;
          const qty = item.qty;
          if (typeof qty !== 'number' || !Number.isInteger(qty) || qty < 1 || qty > 99) throw new InvalidError(`items[${i}].qty must be 1..99`);
          return { sku: str(item, 'sku', idPattern), qty };
        });
      }
      if (m.addressId !== undefined) msg.addressId = str(m, 'addressId', idPattern);
      if (m.couponCode !== undefined) msg.couponCode = str(m, 'couponCode', /^[\x21-\x7e]{1,64}$/);
      if (m.usePoints !== undefined) {
        if (typeof m.usePoints !== 'number' || !Number.isInteger(m.usePoints) || m.usePoints < 0 || m.usePoints > 1_000_000_000) throw new InvalidError('usePoints must be a whole number ≥ 0');
        msg.usePoints = m.usePoints;
      }
      if (m.fresh !== undefined) {
        if (typeof m.fresh !== 'boolean') throw new InvalidError('fresh must be a boolean');
        if (m.fresh) msg.fresh = true;
      }
      return msg;
    }
    case 'refund':
    case 'return':
      return { op: m.op, userId: str(m, 'userId', userPattern) };
    case 'ship':
      return { op: 'ship', carrier: str(m, 'carrier', /^[\x20-\x7e]{1,64}$/), trackingNumber: str(m, 'trackingNumber', /^[\x21-\x7e]{1,128}$/) };
    case 'deliver':
    case 'returned':
      return { op: m.op };
    case 'pay':
      return { op: 'pay', userId: str(m, 'userId', userPattern), token: str(m, 'token', /^[\x21-\x7e]{1,128}$/) };
    case 'cancel':
    case 'get':
      return { op: m.op, userId: str(m, 'userId', userPattern) };
    case 'expire':
    case 'resume':
      return { op: m.op };
    case 'abandon': {
      if (!Array.isArray(m.reservations) || m.reservations.length === 0 || m.reservations.length > 500) throw new InvalidError('reservations must be 1-500 { sku, id }');
      return { op: 'abandon', reservations: m.reservations.map((r: unknown) => {
        const it = (r ?? {}) as Record<string, unknown>;
        return { sku: str(it, 'sku', idPattern), id: str(it, 'id', idPattern) };
      }) };
    }
    default:
      throw new InvalidError('op must be one of start, pay, cancel, get, expire, resume, abandon, refund, return, ship, deliver, returned');
  }
}
