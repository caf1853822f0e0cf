-- Coupon codes are one coupon whatever the case they are typed in. The column's collation
-- is the database's (binary where migrate.ts created it, case-insensitive on a database
-- made beforehand), so the rule is a key of its own: code_key, the code in capitals,
-- unique. A code that differs only in case from an older one (possible under a binary
-- collation) keeps a NULL key and is found by its exact code, as before.
ALTER TABLE promo_coupons ADD COLUMN code_key VARCHAR(64) NULL;
UPDATE promo_coupons p
  LEFT JOIN promo_coupons older
    ON UPPER(older.code) = UPPER(p.code) AND (older.created_at < p.created_at OR (older.created_at = p.created_at AND older.code < p.code))
  SET p.code_key = UPPER(p.code)
  WHERE older.code IS NULL;
ALTER TABLE promo_coupons ADD UNIQUE KEY promo_coupons_code_key (code_key);
