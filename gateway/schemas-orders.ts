// Request and response shapes of checkout and orders (API.md), as zod schemas shared by
// the routes and /openapi.json.
import { z } from 'zod/v4';
import { skuPattern } from './schemas.ts';
import { publicStatuses } from '../actors/checkout/public-status.ts';

const sku = z.string().regex(skuPattern, 'letters, digits and _-:@+=, 1-128 characters');
const id = z.string().regex(/^[A-Za-z0-9_\-:@+=]{1,128}$/, 'letters, digits and _-:@+=, 1-128 characters');

export const checkoutBody = z.object({
  items: z.array(z.object({ sku, qty: z.int().min(1).max(99) })).min(1).max(200).optional().describe('buy now; without items the cart is bought'),
  addressId: id.optional(),
  couponCode: z.string().min(1).max(64).regex(/^[\x21-\x7e]+$/, 'printable ASCII').optional(),
  usePoints: z.int().min(0).max(1_000_000_000).optional().describe('reward points to spend: 1 point = 1 minor unit, at most half the subtotal'),
  // Strict: every field is optional, so a misspelt one would change the order silently
  // (`coupon` lost the discount; `item` bought the whole cart instead of one SKU).
}).strict().meta({ id: 'CheckoutRequest' });

export const payBody = z.object({
  paymentMethod: z.object({ type: z.literal('card'), token: z.string().min(1).max(128).regex(/^[\x21-\x7e]+$/, 'printable ASCII') }),
}).meta({ id: 'PayRequest' });

const delivery = z.object({ eta: z.string(), days: z.int() });

/** API.md's statuses; `state` names the saga's steps between them too (actors/checkout/public-status.ts). */
const status = z.enum(publicStatuses);
const state = z.string().describe('the status with the steps between: also payment_declined (still payable), charging, refunding, failed');

export const orderSummary = z.object({
  orderId: z.string(), status, subtotal: z.int(), discount: z.int(), pointsUsed: z.int(), shipping: z.int(),
  total: z.int().describe('subtotal − discount − pointsUsed + shipping'), currency: z.string(), reservedUntil: z.string(),
  delivery: delivery.optional(),
}).meta({ id: 'OrderSummary' });

export const orderStatus = z.object({ orderId: z.string(), status }).meta({ id: 'OrderStatus' });

const step = z.object({ at: z.string(), status, state, detail: z.string() });
const line = z.object({ sku: z.string(), qty: z.int(), price: z.int(), title: z.string(), lineTotal: z.int() });

export const order = z.object({
  orderId: z.string(), status, state, items: z.array(line), subtotal: z.int(), discount: z.int(), total: z.int(), currency: z.string(),
  shipping: z.int(), pointsUsed: z.int(),
  createdAt: z.string(), paidAt: z.string().optional(), reservedUntil: z.string(),
  address: z.object({}).passthrough().nullable(),
  delivery: delivery.optional(),
  carrier: z.string().optional(), trackingNumber: z.string().optional(),
  shippedAt: z.string().optional(), deliveredAt: z.string().optional(), refundedAt: z.string().optional(),
  timeline: z.array(step).describe('one entry per change of status'),
  steps: z.array(step).describe("every step of the order, those within one status too (state: charging, payment_declined, refunding)"),
}).meta({ id: 'Order' });

export const orderPage = z.object({ items: z.array(order.omit({ timeline: true, steps: true })), nextCursor: z.string().nullable() }).meta({ id: 'OrderPage' });
