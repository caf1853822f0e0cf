// Admin coupons (promo_coupons): percent or amount off, an expiry, a redemption limit, and
// optionally one user. Redemptions are claimed and given back by the order's transactions
// (orders.ts); this file creates coupons and reads them.
import type { Pool } from './pool.ts';
import { isDuplicateKey } from './users.ts';

export interface PromoCoupon {
  code: string;
  discountPercent: number | null;
  /** Minor units off the subtotal, in `currency`. */
  amountOff: number | null;
  /** The currency of `amountOff`; null: the order's, whatever it is (coupons made before it could be given). */
  currency: string | null;
  expiresAt: number;
  maxRedemptions: number;
  redeemed: number;
  userId: string | null;
  /** At most one redemption per user (else only `maxRedemptions` in all). */
  oncePerUser: boolean;
}

/** The code is taken. */
export class CouponExistsError extends Error {
  override name = 'CouponExistsError';
}

type Row = { code: string; discount_percent: number | null; amount_off: number | null; currency: string | null; expires_at: number; max_redemptions: number; redeemed: number; user_id: string | null; once_per_user: number };

const fromRow = (r: Row): PromoCoupon => ({
  code: r.code, discountPercent: r.discount_percent === null ? null : Number(r.discount_percent), amountOff: r.amount_off === null ? null : Number(r.amount_off), currency: r.currency,
  expiresAt: Number(r.expires_at), maxRedemptions: Number(r.max_redemptions), redeemed: Number(r.redeemed), userId: r.user_id,
  oncePerUser: Number(r.once_per_user) === 1,
});

/** What makes two codes the same coupon: the letters, whatever their case. */
export const codeKey = (code: string): string => code.toUpperCase();

export class CouponRepository {
  constructor(private readonly pool: Pool) {}

  /** Throws CouponExistsError for a code already issued, in any case. */
  async create(c: Omit<PromoCoupon, 'redeemed'>): Promise<void> {
    try {
      await this.pool.query(
        'INSERT INTO promo_coupons (code, code_key, discount_percent, amount_off, currency, expires_at, max_redemptions, user_id, once_per_user) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [c.code, codeKey(c.code), c.discountPercent, c.amountOff, c.currency, c.expiresAt, c.maxRedemptions, c.userId, c.oncePerUser ? 1 : 0],
      );
    } catch (err) {
      if (isDuplicateKey(err)) throw new CouponExistsError(`coupon ${c.code} exists`);
      throw err;
    }
  }

  /**
   * The coupon a shopper's code names, typed in any case: by its key, or (a code that
   * differed from an older one only in case when migration 180 ran, and has no key) exactly.
   */
  async get(code: string): Promise<PromoCoupon | undefined> {
    const [rows] = await this.pool.query('SELECT * FROM promo_coupons WHERE code_key = ? OR code = ? ORDER BY code = ? DESC LIMIT 1', [codeKey(code), code, code]);
    const r = (rows as Row[])[0];
    return r && fromRow(r);
  }

  /** Whether the user has redeemed the code on an order that still holds it (what a once-per-user coupon asks). */
  async redeemedBy(code: string, userId: string): Promise<boolean> {
    const [rows] = await this.pool.query('SELECT 1 FROM coupon_redemptions WHERE code = ? AND user_id = ?', [code, userId]);
    return (rows as unknown[]).length > 0;
  }

  /** Coupons issued to this user alone that they can still redeem (for the user page). */
  async openFor(userId: string, now: number): Promise<PromoCoupon[]> {
    const [rows] = await this.pool.query(
      `SELECT p.* FROM promo_coupons p LEFT JOIN coupon_redemptions r ON r.code = p.code AND r.user_id = p.user_id AND r.one_per_user = 1
       WHERE p.user_id = ? AND p.expires_at > ? AND p.redeemed < p.max_redemptions AND r.code IS NULL ORDER BY p.created_at`,
      [userId, now],
    );
    return (rows as Row[]).map(fromRow);
  }
}
