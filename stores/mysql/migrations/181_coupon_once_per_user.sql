-- An admin coupon is redeemed up to max_redemptions times in all, by anyone it is for; once
-- per user only when it was created so (once_per_user). API.md names no per-user limit, and
-- a coupon issued to one user with maxRedemptions 3 could be used once. Coupons created
-- before keep the rule they were created under (once per user).
ALTER TABLE promo_coupons ADD COLUMN once_per_user TINYINT NOT NULL DEFAULT 0;
UPDATE promo_coupons SET once_per_user = 1;

-- A redemption per order now; one_per_user is 1 on the redemptions of once-per-user coupons
-- (NULL otherwise), so the unique key lets a user hold at most one of those per code, while
-- NULLs never collide. Redemptions made before were all of that kind.
ALTER TABLE coupon_redemptions ADD COLUMN one_per_user TINYINT NULL;
UPDATE coupon_redemptions SET one_per_user = 1;
ALTER TABLE coupon_redemptions DROP PRIMARY KEY, ADD PRIMARY KEY (code, user_id, order_id),
  ADD UNIQUE KEY coupon_redemptions_once (code, user_id, one_per_user);
