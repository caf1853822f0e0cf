// The cart entity's protocol: what can be asked of `cart:<userId>`, what it answers, and
// the checks every message passes before it reaches the decision logic.
import { InvalidError } from '../../cluster/index.ts';

export const cartType = 'cart';
export const maxQty = 99;
export const maxLines = 200;

const skuPattern = /^[A-Za-z0-9_\-:@+=]{1,128}$/;

export interface GetCartMsg { op: 'get' }
/** Adds `qty` units (to the line already there, if any). */
export interface AddMsg { op: 'add'; sku: string; qty: number }
/** Sets a line's quantity; 0 removes it. */
export interface SetQtyMsg { op: 'set'; sku: string; qty: number }
export interface RemoveMsg { op: 'remove'; sku: string }
export interface ClearMsg { op: 'clear' }
/** A paid order bought these units: that many of each line leave the cart (units added since stay). */
export interface BoughtMsg {
  op: 'bought';
  lines: { sku: string; qty: number }[];
  /**
   * The paid order, on the wire as op `boughtOnce`: applied once per order, so it can be sent
   * again after a timeout. A cart of an earlier release refuses that op as unknown (where it
   * would have dropped an `orderId` and subtracted each time), and `bought` without an order
   * is applied as it comes, as before.
   */
  orderId?: string;
}
/** For checkout: the lines with the unit price each last showed its shopper. */
export interface LinesMsg { op: 'lines' }

export type CartMsg = GetCartMsg | AddMsg | SetQtyMsg | RemoveMsg | ClearMsg | LinesMsg | BoughtMsg;

export interface CartItemView {
  sku: string; qty: number;
  /** Today's unit price. */
  price: number;
  currency: string; title: string;
  /** Set when today's price differs from the price when the line was added. */
  priceChanged?: true;
  previousPrice?: number;
  /** Set when the product was taken off sale: checkout refuses it (409 unavailable). */
  unavailable?: true;
  /** Set when it is priced in another currency than the cart's: left out of the subtotal; checkout refuses the mix (422 mixed_currency). */
  otherCurrency?: true;
}
export interface CartLineForCheckout { sku: string; qty: number; shownPrice: number }
export interface CartView { items: CartItemView[]; subtotal: number; currency: string }

function sku(m: Record<string, unknown>): string {
  const v = m.sku;
  if (typeof v !== 'string' || !skuPattern.test(v)) throw new InvalidError('sku must be 1-128 characters of letters, digits and _-:@+=');
  return v;
}

function qty(m: Record<string, unknown>, min: number): number {
  const v = m.qty;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > maxQty) throw new InvalidError(`qty must be a whole number from ${min} to ${maxQty}`);
  return v;
}

export function decodeCartMsg(raw: unknown): CartMsg {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InvalidError('message must be an object');
  const m = raw as Record<string, unknown>;
  switch (m.op) {
    case 'get': return { op: 'get' };
    case 'clear': return { op: 'clear' };
    case 'lines': return { op: 'lines' };
    case 'add': return { op: 'add', sku: sku(m), qty: qty(m, 1) };
    case 'set': return { op: 'set', sku: sku(m), qty: qty(m, 0) };
    case 'remove': return { op: 'remove', sku: sku(m) };
    case 'bought':
    case 'boughtOnce': {
      if (!Array.isArray(m.lines) || m.lines.length === 0 || m.lines.length > maxLines) throw new InvalidError(`lines must be 1 to ${maxLines} { sku, qty }`);
      if (m.op === 'boughtOnce' && (typeof m.orderId !== 'string' || !/^[A-Za-z0-9_-]{1,40}$/.test(m.orderId))) throw new InvalidError('orderId must be an order id');
      return {
        op: 'bought',
        lines: m.lines.map((l: unknown) => {
          if (typeof l !== 'object' || l === null) throw new InvalidError('each line must be { sku, qty }');
          const r = l as Record<string, unknown>;
          return { sku: sku(r), qty: qty(r, 1) };
        }),
        ...(m.op === 'boughtOnce' ? { orderId: m.orderId as string } : {}),
      };
    }
    default: throw new InvalidError('op must be one of get, add, set, remove, clear, lines, bought, boughtOnce');
  }
}
