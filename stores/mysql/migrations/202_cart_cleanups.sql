-- Paid cart orders whose units may still be in the cart. The move to `paid` writes the row
-- in its own transaction; it is deleted once the cart has applied the order's removal
-- (`boughtOnce`, recorded in cart_bought_orders) or refused it. The order's node sends the
-- removal right after the payment; the checkout sweeper sends it again from these rows
-- (at next_at, backing off), so a removal cut short by a lost answer is finished even when
-- that node stopped meanwhile. Only cart orders have a row: a flash sale's buy-now orders
-- write nothing here.
CREATE TABLE IF NOT EXISTS cart_cleanups (
  order_id VARCHAR(40) NOT NULL PRIMARY KEY,
  paid_at BIGINT NOT NULL,
  next_at BIGINT NOT NULL,
  attempts INT NOT NULL DEFAULT 0,
  KEY cart_cleanups_next (next_at)
);
