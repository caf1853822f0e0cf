-- An amount-off coupon's currency (NULL: taken in the order's currency, as every coupon
-- made before was). A coupon of 500 in USD must not take 500 off an order priced in JPY.
ALTER TABLE promo_coupons ADD COLUMN currency CHAR(3) NULL;
