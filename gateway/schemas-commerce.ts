// Request and response shapes of the commerce routes (API.md "Checkout and the order after
// payment", "More on users, carts and the catalog"), shared by the routes and /openapi.json.
import { z } from 'zod/v4';
import { weightClasses } from '../stores/mysql/shipping.ts';
import { isoCountry } from './schemas.ts';
import { isoCurrency } from '../actors/catalog/currencies.ts';

const printable = (max: number) => z.string().min(1).max(max).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

export const couponBody = z.object({
  code: printable(64),
  // Nullable as well as optional: a coupon as the 201 shows it (the other one null) is taken back.
  discountPercent: z.int().min(1).max(100).nullable().optional(),
  amountOff: z.int().min(1).max(100_000_000).nullable().optional().describe('minor units off the subtotal'),
  currency: isoCurrency.nullable().optional()
    .describe("amountOff's currency: an order priced in another is refused the coupon (422 coupon_invalid); without it, amountOff is taken in the order's currency"),
  expiresAt: z.iso.datetime({ offset: true }).describe('ISO 8601 date-time'),
  maxRedemptions: z.int().min(1).max(100_000_000),
  userId: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'a user id').nullable().optional().describe('only this user may redeem it'),
  oncePerUser: z.boolean().optional().describe('at most one redemption per user (default false: maxRedemptions in all, by anyone it is for)'),
  // Shown in the 201; taken back and ignored, so a coupon as the 201 shows it is accepted.
  redeemed: z.int().optional().describe('read-only: ignored'),
  // Strict: a misspelt `userid` made a coupon anyone could redeem.
}).strict().meta({ id: 'NewCoupon' });

export const coupon = z.object({
  code: z.string(), discountPercent: z.int().nullable(), amountOff: z.int().nullable(), currency: z.string().nullable(), expiresAt: z.string(),
  maxRedemptions: z.int(), redeemed: z.int(), userId: z.string().nullable(), oncePerUser: z.boolean(),
}).meta({ id: 'Coupon' });

export const shipBody = z.object({ carrier: z.string().trim().min(1).max(64).regex(/^[\x20-\x7e]+$/, 'printable ASCII'), trackingNumber: printable(128) }).meta({ id: 'ShipOrder' });

export const shippingRatesBody = z.object({
  rates: z.array(z.object({ weightClass: z.enum(weightClasses), amount: z.int().min(0).max(100_000_000) })).min(1).max(weightClasses.length)
    // Two amounts for one class had been taken silently, the last one winning.
    .refine((rates) => new Set(rates.map((r) => r.weightClass)).size === rates.length, 'each weightClass at most once'),
}).meta({ id: 'ShippingRates' });

export const shippingRates = z.object({
  items: z.array(z.object({ clusterId: z.string(), weightClass: z.enum(weightClasses), amount: z.int() })),
}).meta({ id: 'ShippingRateTable' });

export const patchAddressBody = z.object({
  line1: z.string().trim().min(1).max(300).optional(),
  city: z.string().trim().min(1).max(120).optional(),
  region: z.string().trim().min(1).max(120).optional(),
  country: isoCountry.optional(),
  postalCode: z.string().trim().min(1).max(20).regex(/^[A-Za-z0-9 -]+$/, 'letters, digits, spaces and dashes').optional(),
  // false is taken too: a client sends back the address as GET /v1/me showed it.
  isDefault: z.boolean().optional().describe('true makes it the default address; false leaves another one as it is (the default stays the default until another is made so: 409 default_address)'),
}).strict().meta({ id: 'PatchAddress' });
