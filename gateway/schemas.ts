// The request and response shapes of API.md as zod schemas: routes validate with them
// and /openapi.json is generated from the same objects, so the two cannot drift.
import { z } from 'zod/v4';
import { isoCountries } from '../actors/homepage/countries.ts';
import { noControlCharacters } from '../stores/unicode.ts';

export const skuPattern = /^[A-Za-z0-9_\-:@+=]{1,128}$/;
const sku = z.string().regex(skuPattern, 'letters, digits and _-:@+=, 1-128 characters');
// Control characters (a NUL among them) have no place in a name or an address line.
const text = (max: number) => z.string().trim().min(1).max(max).regex(noControlCharacters, 'no control characters');

/**
 * At least 8 characters of what is hashed (actors/users/password.ts: the NFKC form), counted
 * as characters, not UTF-16 units: "😀😀😀😀" or four "e" with combining accents are four.
 */
const newPassword = z.string().max(200).refine((p) => [...p.normalize('NFKC')].length >= 8, 'at least 8 characters');

export const signupBody = z.object({
  // Trimmed, as login trims it: " a@b.com " signs up a@b.com.
  email: z.string().trim().max(254).pipe(z.email()),
  password: newPassword,
  name: text(200),
}).meta({ id: 'SignupRequest' });

export const loginBody = z.object({
  email: z.string().min(1).max(254),
  password: z.string().min(1).max(200),
}).meta({ id: 'LoginRequest' });

/** POST /v1/me/password: the new password is checked as signup checks one. */
export const changePasswordBody = z.object({
  currentPassword: z.string().min(1).max(200),
  newPassword,
}).meta({ id: 'ChangePasswordRequest' });

/** GET /v1/me/sessions: the caller's live sessions, newest first (at most 100). */
export const sessionList = z.object({
  items: z.array(z.object({
    sessionId: z.string(),
    device: z.string().describe('the User-Agent the session was opened with'),
    createdAt: z.string(),
    lastSeenAt: z.string().describe('recorded at most once a minute'),
    current: z.boolean().describe('the session of the token that made this request'),
  })),
}).meta({ id: 'SessionList' });

export const revokedSessions = z.object({ revoked: z.int().describe('how many sessions were ended') }).meta({ id: 'RevokedSessions' });

export const authResponse = z.object({ userId: z.string(), token: z.string() }).meta({ id: 'AuthResponse' });

// Strict, as an address's PATCH: {email} or {rewardPoints} is refused, not answered 200 unchanged.
export const patchMeBody = z.object({ name: text(200).optional() }).strict().meta({ id: 'PatchMeRequest' });

/**
 * An ISO 3166-1 alpha-2 code (either case): "ZZ" had been taken and given a delivery
 * cluster of its own, where the homepage's documents refuse it.
 */
export const isoCountry = z.string().regex(/^[A-Za-z]{2}$/, 'an ISO 3166 two-letter country code')
  .refine((c) => isoCountries.has(c.toUpperCase()), 'not an ISO 3166-1 alpha-2 country code (e.g. US, GB)');

export const addressBody = z.object({
  line1: text(300),
  city: text(120),
  region: text(120),
  country: isoCountry,
  postalCode: z.string().trim().min(1).max(20).regex(/^[A-Za-z0-9 -]+$/, 'letters, digits, spaces and dashes'),
  isDefault: z.boolean().optional(),
}).meta({ id: 'NewAddress' });

export const address = z.object({
  addressId: z.string(), line1: z.string(), city: z.string(), region: z.string(), country: z.string(), postalCode: z.string(),
  cluster: z.string().describe('the delivery cluster (region code) serving this address'), isDefault: z.boolean(),
}).meta({ id: 'Address' });

export const me = z.object({
  userId: z.string(), email: z.string(), name: z.string(), addresses: z.array(address), defaultAddressId: z.string().nullable(),
  rewardPoints: z.int(),
  coupons: z.array(z.object({ code: z.string(), description: z.string(), discountPercent: z.int().nullable(), amountOff: z.int().nullable(), currency: z.string().nullable().describe("amountOff's currency; null: the order's"), expiresAt: z.string().nullable() })),
}).meta({ id: 'Me' });

export const qty = z.int().min(1).max(99);
export const addCartItemBody = z.object({ sku, qty }).meta({ id: 'AddCartItem' });
export const setCartItemBody = z.object({ qty: z.int().min(0).max(99).describe('0 removes the line') }).meta({ id: 'SetCartItem' });

export const cart = z.object({
  items: z.array(z.object({
    sku: z.string(), qty: z.int(), price: z.int().describe("today's unit price, minor units"), currency: z.string(), title: z.string(),
    priceChanged: z.literal(true).optional().describe('the price differs from when the line was added'), previousPrice: z.int().optional(),
    unavailable: z.literal(true).optional().describe('taken off sale; checkout refuses it'),
    otherCurrency: z.literal(true).optional().describe('priced in another currency than the cart: left out of subtotal; checkout refuses the mix'),
  })),
  subtotal: z.int(),
  currency: z.string(),
}).meta({ id: 'Cart' });

export const wishlistBody = z.object({ sku }).meta({ id: 'AddWishlistItem' });
export const wishlist = z.object({
  items: z.array(z.object({
    sku: z.string(), addedAt: z.string(), title: z.string(), price: z.int().describe("today's price"), currency: z.string(),
    unavailable: z.literal(true).optional().describe('the product was taken off sale'),
  })),
}).meta({ id: 'Wishlist' });

/** GET /v1/wishlist: the whole list, or with `limit` or `cursor` a page of it. */
export const wishlistPage = wishlist.extend({
  nextCursor: z.string().nullable().describe('null on the last page, and when the whole wishlist was asked for (no limit, no cursor)'),
}).meta({ id: 'WishlistPage' });

export const wishlistQuery = z.object({
  limit: z.string().optional().describe('a page of this many (1-100); without limit and cursor the whole wishlist (at most 500 items)'),
  cursor: z.string().optional(),
});

export const inventory = z.object({
  sku: z.string(), available: z.int(), reserved: z.int(), onHand: z.int(), status: z.enum(['in_stock', 'low', 'out_of_stock']),
}).meta({ id: 'Inventory' });

export const setStockBody = z.object({
  warehouses: z.array(z.object({
    warehouseId: z.string().regex(skuPattern, 'letters, digits and _-:@+=, 1-128 characters'),
    onHand: z.int().min(0).max(1_000_000_000),
  })).min(1).max(256),
}).meta({ id: 'SetStock' });

export const errorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().describe('what the problem concerns (the fields, the SKUs), or null'), requestId: z.string().optional().describe('the X-Request-Id of the request') }),
}).meta({ id: 'Error' });
