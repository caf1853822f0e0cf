// What an order costs, free of I/O: the coupon's discount, the points it may spend, the
// weight class its shipping is priced by, and the total
// (subtotal − discount − pointsUsed + shipping).
import { RejectedError } from '../../cluster/index.ts';
import type { WeightClass } from '../../stores/mysql/shipping.ts';

/** A coupon as checkout applies it: percent or amount off the subtotal. */
export interface CouponTerms { discountPercent: number | null; amountOff: number | null }

export function discountFor(terms: CouponTerms, subtotal: number): number {
  if (terms.amountOff !== null) return Math.min(terms.amountOff, subtotal);
  return Math.floor((subtotal * (terms.discountPercent ?? 0)) / 100);
}

/**
 * The points an order may spend: at most half the subtotal (1 point = 1 minor unit), never
 * more than is left to pay after the discount, and never more than the user holds.
 */
export function checkPoints(usePoints: number, subtotal: number, discount: number, balance: number): number {
  if (usePoints === 0) return 0;
  const limit = Math.min(Math.floor(subtotal / 2), subtotal - discount);
  if (usePoints > limit) {
    throw new RejectedError('points_limit', `at most ${limit} points can be spent on this order (half the subtotal, and no more than is left to pay)`, { data: { usePoints, max: limit } });
  }
  if (usePoints > balance) {
    throw new RejectedError('insufficient_points', `you have ${balance} points`, { data: { usePoints, balance } });
  }
  return usePoints;
}

/** Grams of one unit from a product's attributes (weightGrams, weightKg or kg); 1 kg when unknown. */
export function unitGrams(attributes: Record<string, unknown>): number {
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);
  return n(attributes.weightGrams) ?? (n(attributes.weightKg) ?? n(attributes.kg) ?? 1) * 1000;
}

/** The weight class of a parcel: small ≤ 1 kg, medium ≤ 5 kg, large ≤ 20 kg, bulky above. */
export function weightClassOf(grams: number): WeightClass {
  if (grams <= 1000) return 'small';
  if (grams <= 5000) return 'medium';
  if (grams <= 20_000) return 'large';
  return 'bulky';
}

export const totalOf = (p: { subtotal: number; discount: number; pointsUsed: number; shipping: number }) =>
  p.subtotal - p.discount - p.pointsUsed + p.shipping;
