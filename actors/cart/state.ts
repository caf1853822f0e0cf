// The cart decisions, free of I/O: given the cart, a message and (for an add) the product,
// the new cart and the rows to write. The cart is replaced, never mutated, so a failed
// write leaves the actor's state as it was.
import { RejectedError } from '../../cluster/index.ts';
import type { CartLineRecord, CartWrite } from '../../stores/mysql/carts.ts';
import { maxLines, maxQty, type CartItemView, type CartLineForCheckout, type CartMsg, type CartView } from './messages.ts';

export interface CartModel {
  userId: string;
  version: number;
  /** In the order lines were added. */
  lines: ReadonlyMap<string, CartLineRecord>;
}

export interface ProductInfo { sku: string; title: string; price: number; currency: string; removedAt?: number | null }

/** Today's products of the cart's SKUs, to show today's prices (absent SKUs keep the stored line). */
export type TodayPrices = ReadonlyMap<string, ProductInfo>;

export type CartDecision =
  | { ok: CartView | CartLineForCheckout[]; next: CartModel; write?: Omit<CartWrite, 'userId' | 'expectedVersion' | 'fence'> }
  | { rejected: RejectedError };

/** The currency of an empty cart. */
export const defaultCurrency = 'USD';

/**
 * The cart as its shopper sees it: today's price per line (flagged when it differs from the
 * price at add), removed products flagged unavailable and left out of the subtotal.
 */
export function cartView(model: CartModel, today?: TodayPrices): CartView {
  const items: CartItemView[] = [...model.lines.values()].map((l) => {
    const p = today?.get(l.sku);
    // Today's price in today's currency: a product repriced in another currency showed its
    // new amount under the old code (700 EUR as 700 USD).
    const item: CartItemView = { sku: l.sku, qty: l.qty, price: p?.price ?? l.price, currency: p?.currency ?? l.currency, title: p?.title ?? l.title };
    if (p && (p.price !== l.price || p.currency !== l.currency)) Object.assign(item, { priceChanged: true, previousPrice: l.price });
    if (p?.removedAt) item.unavailable = true;
    return item;
  });
  // One currency per subtotal: the first line on sale names it; a line priced in another
  // (its product moved to another currency since) is flagged and left out, as checkout
  // refuses the mix (422 mixed_currency) rather than adding euros to dollars.
  const currency = (items.find((i) => !i.unavailable) ?? items[0])?.currency ?? defaultCurrency;
  let subtotal = 0;
  for (const i of items) {
    if (i.unavailable) continue;
    if (i.currency !== currency) {
      i.otherCurrency = true;
      continue;
    }
    subtotal += i.price * i.qty;
  }
  return { items, subtotal, currency };
}

/** Lines whose shown price is not today's: showing the cart records today's as shown. */
function seen(model: CartModel, today: TodayPrices): CartLineRecord[] {
  const out: CartLineRecord[] = [];
  for (const l of model.lines.values()) {
    const p = today.get(l.sku);
    if (p && !p.removedAt && p.price !== (l.shownPrice ?? l.price)) out.push({ ...l, shownPrice: p.price });
  }
  return out;
}

function changed(model: CartModel, lines: Map<string, CartLineRecord>, write: Omit<CartWrite, 'userId' | 'expectedVersion' | 'fence'>, today: TodayPrices | undefined): CartDecision {
  const next: CartModel = { userId: model.userId, version: model.version + 1, lines };
  return { ok: cartView(next, today), next, write };
}

const notInCart = (sku: string) => new RejectedError('line_not_found', `${sku} is not in the cart`, { data: { sku } });

/**
 * `product` is the SKU's product for an add (undefined: no such product); `today` the
 * products of the cart's lines (their prices now): every answer that shows the cart shows
 * today's prices.
 */
export function decideCart(model: CartModel, msg: CartMsg, now: number, product?: ProductInfo, today?: TodayPrices): CartDecision {
  switch (msg.op) {
    case 'get': {
      const shown = today ? seen(model, today) : [];
      if (shown.length === 0) return { ok: cartView(model, today), next: model };
      const lines = new Map(model.lines);
      for (const l of shown) lines.set(l.sku, l);
      const next: CartModel = { userId: model.userId, version: model.version + 1, lines };
      return { ok: cartView(next, today), next, write: { upsert: shown, remove: [] } };
    }
    case 'lines':
      return { ok: [...model.lines.values()].map((l) => ({ sku: l.sku, qty: l.qty, shownPrice: l.shownPrice ?? l.price })), next: model };
    case 'add': {
      if (!product) return { rejected: new RejectedError('unknown_sku', `no product ${msg.sku}`, { data: { sku: msg.sku } }) };
      if (product.removedAt) return { rejected: new RejectedError('unavailable', `${msg.sku} is no longer sold`, { data: { skus: [msg.sku] } }) };
      const existing = model.lines.get(msg.sku);
      const qty = (existing?.qty ?? 0) + msg.qty;
      if (qty > maxQty) {
        return { rejected: new RejectedError('quantity_limit', `at most ${maxQty} of one SKU per cart (${existing?.qty ?? 0} already)`, { data: { sku: msg.sku, inCart: existing?.qty ?? 0, max: maxQty } }) };
      }
      if (!existing && model.lines.size >= maxLines) {
        return { rejected: new RejectedError('cart_full', `a cart holds at most ${maxLines} lines`, { data: { max: maxLines } }) };
      }
      const first = model.lines.values().next().value;
      if (first && first.sku !== msg.sku && first.currency !== product.currency) {
        return { rejected: new RejectedError('currency_mismatch', `the cart is in ${first.currency}; ${msg.sku} is priced in ${product.currency}`, { data: { sku: msg.sku } }) };
      }
      // The price is the one at the first add; adding more of a line keeps it.
      const line: CartLineRecord = existing
        ? { ...existing, qty }
        : { sku: msg.sku, qty, price: product.price, currency: product.currency, addedAt: now, title: product.title };
      const lines = new Map(model.lines);
      lines.set(msg.sku, line);
      return changed(model, lines, { upsert: [line], remove: [] }, today);
    }
    case 'set': {
      const existing = model.lines.get(msg.sku);
      if (!existing) return { rejected: notInCart(msg.sku) };
      const lines = new Map(model.lines);
      if (msg.qty === 0) {
        lines.delete(msg.sku);
        return changed(model, lines, { upsert: [], remove: [msg.sku] }, today);
      }
      if (msg.qty === existing.qty) return { ok: cartView(model, today), next: model };
      const line = { ...existing, qty: msg.qty };
      lines.set(msg.sku, line);
      return changed(model, lines, { upsert: [line], remove: [] }, today);
    }
    case 'remove': {
      // Removing what is not there changes nothing and is not an error (DELETE is idempotent).
      if (!model.lines.has(msg.sku)) return { ok: cartView(model, today), next: model };
      const lines = new Map(model.lines);
      lines.delete(msg.sku);
      return changed(model, lines, { upsert: [], remove: [msg.sku] }, today);
    }
    case 'bought': {
      // A paid order took these units: each line keeps what was added after its checkout.
      const lines = new Map(model.lines);
      const upsert: CartLineRecord[] = [];
      const remove: string[] = [];
      for (const b of msg.lines) {
        const existing = lines.get(b.sku);
        if (!existing) continue;
        if (existing.qty <= b.qty) {
          lines.delete(b.sku);
          remove.push(b.sku);
        } else {
          const line = { ...existing, qty: existing.qty - b.qty };
          lines.set(b.sku, line);
          upsert.push(line);
        }
      }
      // Nothing left to take is still written when the order is named: the record that it
      // was applied keeps a resend from taking units added later.
      if (upsert.length === 0 && remove.length === 0 && msg.orderId === undefined) return { ok: cartView(model, today), next: model };
      return changed(model, lines, { upsert, remove, ...(msg.orderId === undefined ? {} : { boughtOrderId: msg.orderId }) }, today);
    }
    case 'clear': {
      if (model.lines.size === 0) return { ok: cartView(model, today), next: model };
      return changed(model, new Map(), { upsert: [], remove: [...model.lines.keys()] }, today);
    }
  }
}
