// Checkout's first step: from the cart (or buy-now items) to an order awaiting payment.
// Checks what the shopper can buy (limits, removed products, an address something ships
// to, changed prices), prices it (coupon, points, shipping), reserves every line across
// warehouses that ship to the address, and records the order with its points and coupon
// taken in the same transaction. Nothing is reserved when a check fails.
import { RejectedError, UnavailableError } from '../../cluster/index.ts';
import { CouponTakenError, OrderRefusedError, type OrderAddress, type OrderLine, type OrderRecord } from '../../stores/mysql/orders.ts';
import type { UserRecord } from '../../stores/mysql/users.ts';
import { codeKey } from '../../stores/mysql/coupons.ts';
import { FencedWriteError } from '../../stores/mysql/writes.ts';
import { welcomeCouponCode } from '../users/index.ts';
import type { StartMsg } from './messages.ts';
import { checkPoints, discountFor, totalOf, unitGrams, weightClassOf, type CouponTerms } from './pricing.ts';
import { partIds, releaseIds, reserveAll } from './reserve.ts';
import type { Saga } from './saga.ts';

interface Wanted { sku: string; qty: number; shownPrice?: number }

async function wantedItems(saga: Saga, msg: StartMsg): Promise<Wanted[]> {
  if (msg.items) return msg.items;
  return (await saga.deps.carts.lines(msg.userId)).map((l) => ({ sku: l.sku, qty: l.qty, shownPrice: l.shownPrice }));
}

function addressOf(user: UserRecord, addressId: string | undefined): OrderAddress {
  const id = addressId ?? user.defaultAddressId ?? undefined;
  const found = id ? user.addresses.find((a) => a.addressId === id) : undefined;
  if (addressId !== undefined && !found) throw new RejectedError('address_not_found', `no address ${addressId}`);
  if (!found) throw new RejectedError('address_required', 'add a delivery address (or send addressId) before checking out');
  return { addressId: found.addressId, line1: found.line1, city: found.city, region: found.region, country: found.country, postalCode: found.postalCode, cluster: found.cluster };
}

/**
 * The user's own coupon, else an admin coupon this user may still redeem; `code` as it was
 * issued, whatever case the shopper typed it in (the order records that one, so that giving
 * it back finds its rows under any collation).
 */
async function couponTerms(saga: Saga, user: UserRecord, code: string, now: number, currency: string): Promise<CouponTerms & { kind: 'user' | 'promo'; code: string }> {
  const typed = codeKey(code);
  const own = user.coupons.find((c) => codeKey(c.code) === typed && c.kind !== 'promo' && (c.expiresAt === null || c.expiresAt > now));
  if (own) return { kind: 'user', code: own.code, discountPercent: own.discountPercent, amountOff: null };
  // The welcome coupon is only ever the user's own: never an admin coupon of the same code
  // (one made before such codes were refused would redeem it a second time).
  if (typed === welcomeCouponCode) throw new RejectedError('coupon_invalid', `coupon ${code} was already used or has expired`);
  const promo = await saga.deps.coupons?.get(code);
  const usable = promo && promo.expiresAt > now && promo.redeemed < promo.maxRedemptions && (promo.userId === null || promo.userId === user.userId);
  if (!promo || !usable) throw new RejectedError('coupon_invalid', `coupon ${code} is unknown, used up or expired`);
  if (promo.oncePerUser && await saga.deps.coupons!.redeemedBy(promo.code, user.userId)) throw new RejectedError('coupon_invalid', `coupon ${code} was already used on another of your orders (once per customer)`);
  if (promo.amountOff !== null && promo.currency !== null && promo.currency !== currency) {
    throw new RejectedError('coupon_invalid', `coupon ${code} takes ${promo.amountOff} (minor units) off in ${promo.currency}; this order is priced in ${currency}`, { data: { couponCurrency: promo.currency, currency } });
  }
  return { kind: 'promo', code: promo.code, discountPercent: promo.discountPercent, amountOff: promo.amountOff };
}

/**
 * Whether a start asks for what `o` was placed with: the same items (units per SKU) or
 * the cart, the same coupon, points and, when it names one, address. A keyed checkout
 * finds the order its key names (the order id comes from the user and the key), and the
 * gateway's record of the key, which refuses another body, lasts a day: a key used again
 * after that for other items had been answered 201 with the earlier order (paid, say) and
 * nothing placed. What a start cannot name (the cart's lines, the default address) may
 * have changed since the first attempt and is not compared.
 */
export function sameRequest(o: OrderRecord, msg: StartMsg): boolean {
  if ((msg.items !== undefined) !== (o.source === 'items')) return false;
  if (msg.items) {
    const units = (lines: { sku: string; qty: number }[]) => {
      const m = new Map<string, number>();
      for (const l of lines) m.set(l.sku, (m.get(l.sku) ?? 0) + l.qty);
      return m;
    };
    const asked = units(msg.items);
    const placed = units(o.lines);
    if (asked.size !== placed.size || [...asked].some(([sku, qty]) => placed.get(sku) !== qty)) return false;
  }
  if ((msg.couponCode === undefined ? null : codeKey(msg.couponCode)) !== (o.couponCode === null ? null : codeKey(o.couponCode))) return false;
  if ((msg.usePoints ?? 0) !== o.pointsUsed) return false;
  if (msg.addressId !== undefined && o.address?.addressId !== msg.addressId) return false;
  return true;
}

/** `o`, found for a start: refused when the start asks for something else (see sameRequest). */
export function foundFor(o: OrderRecord, msg: StartMsg): OrderRecord {
  if (!sameRequest(o, msg)) {
    throw new RejectedError('idempotency_key_reused', `this Idempotency-Key placed order ${o.orderId} with another request; use a new key`, { data: { orderId: o.orderId } });
  }
  return o;
}

export async function startOrder(saga: Saga, msg: StartMsg, now: number): Promise<OrderRecord> {
  const { deps, orderId } = saga;
  const wanted = await wantedItems(saga, msg);
  const source = msg.items ? 'items' : 'cart';
  if (wanted.length === 0) throw new RejectedError('cart_empty', 'the cart is empty: add items or send items to buy now');
  const merged = new Map<string, number>();
  for (const it of wanted) merged.set(it.sku, (merged.get(it.sku) ?? 0) + it.qty);
  const overLimit = [...merged].filter(([, qty]) => qty > deps.maxUnitsPerSku).map(([sku]) => sku);
  if (overLimit.length > 0) {
    throw new RejectedError('quantity_limit', `at most ${deps.maxUnitsPerSku} units of one SKU per order: ${overLimit.join(', ')}`, { data: { skus: overLimit, max: deps.maxUnitsPerSku } });
  }

  const products = await deps.products.getMany([...merged.keys()]);
  const unknown = [...merged.keys()].filter((sku) => !products.has(sku));
  if (unknown.length > 0) throw new RejectedError('unknown_sku', `unknown SKU: ${unknown.join(', ')}`, { data: { skus: unknown } });
  const removed = [...merged.keys()].filter((sku) => products.get(sku)!.removedAt);
  if (removed.length > 0) throw new RejectedError('unavailable', `no longer sold: ${removed.join(', ')}`, { data: { skus: removed } });
  const currencies = new Set([...products.values()].map((p) => p.currency));
  if (currencies.size > 1) throw new RejectedError('mixed_currency', 'the items are priced in more than one currency', { data: { currencies: [...currencies] } });

  const user = await deps.users.load(msg.userId);
  if (!user) throw new RejectedError('not_found', 'no such user');
  const address = addressOf(user, msg.addressId);
  const routes = await deps.routesTo?.(address.cluster);
  if (routes && routes.length === 0) {
    const skus = [...merged.keys()];
    throw new RejectedError('undeliverable', `nothing ships to ${address.city}, ${address.country} (${skus.join(', ')})`, { data: { skus } });
  }

  const lines: OrderLine[] = [...merged.entries()].map(([sku, qty]) => {
    const p = products.get(sku)!;
    return { sku, qty, price: p.price, title: p.title, category: p.category, reservationId: '', warehouseId: '' };
  });
  const subtotal = lines.reduce((n, l) => n + l.price * l.qty, 0);
  const coupon = msg.couponCode === undefined ? undefined : await couponTerms(saga, user, msg.couponCode, now, [...currencies][0] ?? 'USD');
  const discount = coupon ? discountFor(coupon, subtotal) : 0;
  const pointsUsed = checkPoints(msg.usePoints ?? 0, subtotal, discount, user.rewardPoints);
  const grams = lines.reduce((n, l) => n + unitGrams(products.get(l.sku)!.attributes) * l.qty, 0);
  const shippingCost = async () => (await deps.shippingRate?.(address.cluster, weightClassOf(grams))) ?? 0;

  // The cart charges what it showed: a price that moved since is shown now, and refused once.
  const changed = wanted.filter((w) => w.shownPrice !== undefined && w.shownPrice !== products.get(w.sku)!.price);
  if (changed.length > 0) {
    const total = totalOf({ subtotal, discount, pointsUsed, shipping: await shippingCost() });
    await deps.carts.get(msg.userId);
    throw new RejectedError('price_changed', `prices changed since the cart was shown: ${changed.map((c) => c.sku).join(', ')}`, {
      data: { skus: changed.map((c) => c.sku), subtotal, total, currency: [...currencies][0], items: changed.map((c) => ({ sku: c.sku, previousPrice: c.shownPrice, price: products.get(c.sku)!.price })) },
    });
  }

  let existing: OrderRecord | undefined;
  // Never release the stock of an order that exists (an earlier attempt recorded it).
  const mayRelease = async () => {
    existing = await deps.orders.get(orderId).catch(() => undefined);
    return existing === undefined;
  };
  const allowed = routes?.map(([w]) => w);
  try {
    await reserveAll({ orderId, inventory: deps.inventory, ttlMs: deps.reservationTtlMs + deps.commitGraceMs, allowed }, lines, mayRelease);
  } catch (err) {
    if (existing && existing.userId === msg.userId) return foundFor(existing, msg);
    throw err;
  }
  // After the stock is held: a sold-out crowd costs no query for these. The open-order
  // limit is enforced inside the order's transaction (a refusal releases what was taken).
  const shipping = await shippingCost();
  const total = totalOf({ subtotal, discount, pointsUsed, shipping });
  const days = new Map(routes ?? []);
  const deliveryDays = routes ? Math.max(...lines.flatMap((l) => (l.parts ?? []).map((p) => days.get(p.warehouseId) ?? 0))) : null;

  const order: OrderRecord = {
    orderId, userId: msg.userId, status: 'pending_payment', version: 1, source, lines,
    currency: [...currencies][0] ?? 'USD', subtotal, discount, total, couponCode: coupon?.code ?? null, couponKind: coupon?.kind ?? null,
    address, reservedUntil: now + deps.reservationTtlMs, paymentKey: null, paymentToken: null, paymentAttempts: 0,
    paymentId: null, createdAt: now, paidAt: null, updatedAt: now, shipping, pointsUsed, pointsEarned: 0, deliveryDays,
    carrier: null, trackingNumber: null, shippedAt: null, deliveredAt: null, refundTarget: null, refundedAt: null,
  };
  const parts = lines.reduce((n, l) => n + (l.parts?.length ?? 1), 0);
  try {
    await deps.orders.create(order, `reserved ${lines.length} line(s) in ${parts} part(s)`, { maxOpenOrders: deps.maxOpenOrders });
  } catch (err) {
    // Another activation holds the order's epoch: nothing was written, and this one must
    // reload (the entity stops, or claims properly if it had claimed nothing; actor.ts).
    if (err instanceof FencedWriteError) throw err;
    const refused = err instanceof CouponTakenError ? 'coupon_taken' : err instanceof OrderRefusedError ? err.code : undefined;
    if (refused === 'order_exists') {
      const found = await deps.orders.get(orderId);
      if (found && found.userId === msg.userId) return foundFor(found, msg);
      throw new UnavailableError('the order could not be recorded; retry');
    }
    if (refused) {
      await releaseIds(deps.inventory, partIds(lines));
      if (refused === 'coupon_taken') throw new RejectedError('coupon_invalid', `coupon ${msg.couponCode} is already used`);
      if (refused === 'insufficient_points') throw new RejectedError('insufficient_points', 'the points were spent meanwhile', { data: { usePoints: pointsUsed } });
      throw new RejectedError('too_many_open_orders', `at most ${deps.maxOpenOrders} unpaid orders at a time: pay or cancel one first`, { data: { max: deps.maxOpenOrders } });
    }
    // Maybe written, maybe not: keep the reservations for the retry, which finds the
    // order if it was written; if nobody retries, they expire with their hold.
    throw new UnavailableError('the order could not be recorded; retry', { cause: err });
  }
  await deps.onChange?.(order, pointsUsed > 0 || Boolean(coupon));
  return order;
}
