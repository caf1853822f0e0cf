// API errors in a shopper's words: the server's messages are written for developers
// ("send Authorization: Bearer <token>", "minPrice is above maxPrice"), so the codes we
// know are said plainly here and only unknown ones fall back to the server's text.
import { ApiError } from './api.ts';

/** Names a SKU for the shopper: its title where the page knows it. */
export type TitleOf = (sku: string) => string | undefined;

/** The fields the API can name in `details`, as a shopper knows them. */
const fieldNames: Record<string, string> = {
  name: 'your name', email: 'the email address', password: 'the password (at least 8 characters)',
  line1: 'the street and number', city: 'the city', region: 'the state or region', country: 'the two-letter country code',
  postalCode: 'the postal code', qty: 'the quantity', couponCode: 'the coupon code', q: 'the search words',
  minPrice: 'the lowest price', maxPrice: 'the highest price', token: 'the card token',
};

/** Codes whose plain explanation needs nothing from the answer. */
const fixed = new Map<string, string>(Object.entries({
  address_required: 'Add a delivery address on your account page first.',
  address_not_found: 'That address is gone. Reload the page and choose another.',
  too_many_open_orders: 'You already have several unpaid orders. Pay or cancel one on your orders page first.',
  coupon_invalid: 'That coupon code cannot be used: it is unknown, used up or expired.',
  cart_empty: 'Your cart is empty.',
  cart_full: 'Your cart is full. Check out or remove something first.',
  wishlist_full: 'Your wishlist is full. Remove something first.',
  too_many_addresses: 'You have as many addresses as an account can keep. Delete one first.',
  price_changed: 'Prices changed since this page was loaded. Reload it to see the new ones.',
  order_expired: 'The reservation for this order ended, so it can no longer be paid. Check out again from your cart.',
  order_closed: 'This order can no longer be paid or changed. Reload the page to see where it stands.',
  order_paid: 'This order is already paid.',
  payment_in_progress: 'A payment for this order is under way. Wait a moment and reload the page.',
  order_shipped: 'This order has shipped, so it can no longer be cancelled. You can return it once it arrives.',
  return_window_closed: 'It was delivered more than 30 days ago, so it can no longer be returned.',
  invalid_transition: 'That is not possible for this order any more. Reload the page to see where it stands.',
  not_found: 'It is not there any more. Reload the page to see what is.',
  unknown_sku: 'That product is not sold here any more.',
  // A retry (same Idempotency-Key) while the first attempt's outcome is not known yet.
  request_in_progress: 'Your last try is still being processed. Wait a moment and try again.',
}));

function list(words: string[]): string {
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

function skusOf(details: unknown): string[] {
  const d = details as { skus?: unknown; sku?: unknown } | undefined;
  if (Array.isArray(d?.skus)) return d.skus.filter((s): s is string => typeof s === 'string');
  return typeof d?.sku === 'string' ? [d.sku] : [];
}

function fieldsOf(details: unknown): string[] {
  const problems = Array.isArray(details) ? (details as { field?: unknown }[]) : [];
  // "[0].qty" and "items[0].qty" are the quantity; the last name is the one a shopper knows.
  const names = problems.map((p) => String(p.field ?? '').split(/[.[\]]/).filter((s) => s && !/^\d+$/.test(s)).pop() ?? '');
  return [...new Set(names.map((n) => fieldNames[n] ?? (n && n !== '(body)' ? n : 'what you entered')))];
}

/** What went wrong, in plain words; `titleOf` turns SKUs into product titles. */
export function explain(err: unknown, titleOf: TitleOf = () => undefined): string {
  if (!(err instanceof ApiError)) return 'Something went wrong. Please try again.';
  const products = () => list(skusOf(err.details).map((s) => titleOf(s) ?? s)) || 'a product';
  const max = (err.details as { max?: unknown } | undefined)?.max;
  switch (err.code) {
    case 'quantity_limit':
      // The cart's own limit names how many are there already; checkout's is per order.
      if ((err.details as { inCart?: unknown } | undefined)?.inCart !== undefined) {
        return `Your cart can hold at most ${String(max)} of one product: ${products()}.`;
      }
      return `You can buy at most ${typeof max === 'number' ? max : 10} of one product per order. Lower the quantity of ${products()}.`;
    case 'currency_mismatch':
      // A cart holds one currency; the server's "the cart is in JPY; X is priced in EUR".
      // A title is shown as it is written ("iPhone"); with none known, the sentence still starts with a capital.
      return `${skusOf(err.details).length ? products() : 'This product'} is priced in another currency than what is in your cart. Check out or empty your cart first, then add it.`;
    case 'undeliverable':
      return `We can't deliver ${products()} to this address. Choose another address or remove it from your cart.`;
    case 'insufficient_stock':
    case 'sold_out':
      return `Not enough stock left for ${products()}. Lower the quantity or remove it.`;
    case 'unavailable':
      return skusOf(err.details).length ? `${products()} is no longer sold. Remove it from your cart.` : 'The shop is busy right now. Please try again in a moment.';
    case 'validation_failed':
    case 'invalid_request': {
      const fields = fieldsOf(err.details);
      return fields.length ? `Please check ${list(fields)}.` : 'Please check what you entered.';
    }
  }
  // A signup whose account was made but not logged in (the server says so): log in.
  if (err.code === 'outcome_unknown' && /account was created/.test(err.message)) {
    return 'Your account was created, but we could not log you in just now. Log in with your email and password.';
  }
  const known = fixed.get(err.code);
  if (known) return known;
  if (err.status === 429) return 'Too many requests just now. Please wait a moment and try again.';
  if (err.status >= 500) return 'The shop is busy right now. Please try again in a moment.';
  return err.message;
}
