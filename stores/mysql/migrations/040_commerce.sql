-- Commerce depth (issue 13): the order after payment (shipping, delivery, refunds and
-- returns), what checkout priced (shipping, points, coupon kind, delivery days), admin
-- coupons with their redemptions, shipping rates per delivery cluster and weight class,
-- removed products, and the price a cart line last showed its shopper.
ALTER TABLE orders MODIFY status ENUM('pending_payment', 'payment_declined', 'charging', 'paid', 'cancelled', 'expired', 'failed',
  'shipped', 'delivered', 'refunding', 'refunded', 'return_requested') NOT NULL;
ALTER TABLE orders
  ADD COLUMN shipping BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN points_used INT NOT NULL DEFAULT 0,
  -- Points added when it was paid, taken back by a refund.
  ADD COLUMN points_earned INT NOT NULL DEFAULT 0,
  -- 'user': a row of coupons (the user's own); 'promo': an admin coupon (coupon_redemptions).
  ADD COLUMN coupon_kind VARCHAR(8) NULL,
  ADD COLUMN delivery_days INT NULL,
  ADD COLUMN carrier VARCHAR(64) NULL,
  ADD COLUMN tracking_number VARCHAR(128) NULL,
  ADD COLUMN shipped_at BIGINT NULL,
  ADD COLUMN delivered_at BIGINT NULL,
  -- A refund in progress ends in this status: 'refunded' (asked for) or 'failed' (a sale
  -- unwound because its stock hold ran out). The sweeper resumes it until it ends.
  ADD COLUMN refund_target VARCHAR(16) NULL,
  ADD COLUMN refunded_at BIGINT NULL;

CREATE TABLE IF NOT EXISTS promo_coupons (
  code VARCHAR(64) NOT NULL PRIMARY KEY,
  discount_percent INT NULL,
  amount_off BIGINT NULL,
  expires_at BIGINT NOT NULL,
  max_redemptions INT NOT NULL,
  redeemed INT NOT NULL DEFAULT 0,
  -- Only this user may redeem it (NULL: anyone).
  user_id VARCHAR(40) NULL,
  created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  KEY promo_coupons_user (user_id),
  CONSTRAINT promo_coupon_kind CHECK ((discount_percent IS NULL) <> (amount_off IS NULL)),
  CONSTRAINT promo_coupon_redeemed CHECK (redeemed >= 0 AND redeemed <= max_redemptions)
);

-- One redemption per user and code; deleted again when the order gives the coupon back.
CREATE TABLE IF NOT EXISTS coupon_redemptions (
  code VARCHAR(64) NOT NULL,
  user_id VARCHAR(40) NOT NULL,
  order_id VARCHAR(40) NOT NULL,
  at BIGINT NOT NULL,
  PRIMARY KEY (code, user_id)
);

-- Shipping cost per delivery cluster and weight class; cluster '*' is the default.
CREATE TABLE IF NOT EXISTS shipping_rates (
  cluster_id VARCHAR(64) NOT NULL,
  weight_class ENUM('small', 'medium', 'large', 'bulky') NOT NULL,
  amount BIGINT NOT NULL,
  PRIMARY KEY (cluster_id, weight_class),
  CONSTRAINT shipping_amount_range CHECK (amount >= 0 AND amount <= 100000000)
);
INSERT IGNORE INTO shipping_rates (cluster_id, weight_class, amount) VALUES
  ('*', 'small', 499), ('*', 'medium', 899), ('*', 'large', 1499), ('*', 'bulky', 2999);

ALTER TABLE products ADD COLUMN removed_at BIGINT NULL;

-- The unit price this line last showed its shopper (NULL: the price at add).
ALTER TABLE cart_lines ADD COLUMN shown_price INT NULL;
