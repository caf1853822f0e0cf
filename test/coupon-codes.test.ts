// Admin coupon codes are one coupon whatever their case, under the binary collation the
// app's own databases have: one code in any case is taken once and found typed in any case;
// migration 180 keys what earlier coupons there were without failing on two codes that
// differed only in case.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CouponExistsError, CouponRepository } from '../stores/mysql/coupons.ts';
import { projectRoot } from '../app/project-root.ts';
import { freshDatabase } from './support/harness.ts';

const db = freshDatabase(test, 'couponcodes');
const expiresAt = Date.now() + 86_400_000;
const coupon = (code: string) => ({ code, discountPercent: 10, amountOff: null, expiresAt, maxRedemptions: 5, userId: null });

test('a code is taken in every case, and found typed in any case as it was issued', async () => {
  const coupons = new CouponRepository(db.pool);
  await coupons.create(coupon('Autumn-Sale'));
  for (const code of ['AUTUMN-SALE', 'autumn-sale']) {
    try {
      await coupons.create(coupon(code));
      assert.unreachable(`${code} was created beside Autumn-Sale`);
    } catch (err) {
      assert.instance(err, CouponExistsError, code);
    }
  }
  for (const typed of ['autumn-sale', 'AUTUMN-SALE', 'Autumn-Sale']) assert.is((await coupons.get(typed))?.code, 'Autumn-Sale', typed);
  assert.is(await coupons.get('autumn'), undefined);
});

test('migration 180 keys the older of two codes that differ only in case; the other stays found by its exact code', async () => {
  await db.pool.query('ALTER TABLE promo_coupons DROP KEY promo_coupons_code_key, DROP COLUMN code_key');
  const put = (code: string, at: string) => db.pool.query(
    'INSERT INTO promo_coupons (code, discount_percent, expires_at, max_redemptions, created_at) VALUES (?, 10, ?, 5, ?)', [code, expiresAt, at]);
  await put('MG-TWIN', '2026-01-01 00:00:00');
  await put('mg-twin', '2026-02-01 00:00:00');
  await put('mg-single', '2026-02-01 00:00:00');
  await db.pool.query(await readFile(join(projectRoot, 'stores/mysql/migrations/180_coupon_code_key.sql'), 'utf8'));
  const [rows] = await db.pool.query("SELECT code, code_key FROM promo_coupons WHERE code_key LIKE 'MG-%' OR code LIKE 'mg-%' OR code LIKE 'MG-%' ORDER BY code");
  assert.equal((rows as { code: string; code_key: string | null }[]).map((r) => [r.code, r.code_key]),
    [['MG-TWIN', 'MG-TWIN'], ['mg-single', 'MG-SINGLE'], ['mg-twin', null]]);
  const coupons = new CouponRepository(db.pool);
  assert.is((await coupons.get('mg-twin'))?.code, 'mg-twin', 'the exact code first');
  assert.is((await coupons.get('Mg-Twin'))?.code, 'MG-TWIN');
  assert.is((await coupons.get('MG-SINGLE'))?.code, 'mg-single');
});

test.run();
