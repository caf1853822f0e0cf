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
const coupon = (code: string) => ({ code, discountPercent: 10, amountOff: null, currency: null, expiresAt, maxRedemptions: 5, userId: null, oncePerUser: false });

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

test('migration 181 keeps coupons and redemptions made before it once per user', async () => {
  await db.pool.query(`ALTER TABLE coupon_redemptions DROP KEY coupon_redemptions_once, DROP PRIMARY KEY, ADD PRIMARY KEY (code, user_id), DROP COLUMN one_per_user`);
  await db.pool.query('ALTER TABLE promo_coupons DROP COLUMN once_per_user');
  await db.pool.query("INSERT INTO promo_coupons (code, code_key, discount_percent, expires_at, max_redemptions, redeemed) VALUES ('MG-OLD', 'MG-OLD', 10, ?, 5, 1)", [expiresAt]);
  await db.pool.query("INSERT INTO coupon_redemptions (code, user_id, order_id, at) VALUES ('MG-OLD', 'u-old', 'o-old', 1)");
  await db.pool.query(await readFile(join(projectRoot, 'stores/mysql/migrations/181_coupon_once_per_user.sql'), 'utf8'));
  assert.is((await new CouponRepository(db.pool).get('MG-OLD'))?.oncePerUser, true);
  const [again] = await db.pool.query("INSERT IGNORE INTO coupon_redemptions (code, user_id, order_id, at, one_per_user) VALUES ('MG-OLD', 'u-old', 'o-new', 2, 1)");
  assert.is((again as { affectedRows: number }).affectedRows, 0, 'a second redemption by the same user collides');
  const [other] = await db.pool.query("INSERT IGNORE INTO coupon_redemptions (code, user_id, order_id, at, one_per_user) VALUES ('MG-OLD', 'u-old', 'o-many', 2, NULL)");
  assert.is((other as { affectedRows: number }).affectedRows, 1, 'redemptions of a coupon without the rule do not');
});

test.run();
