-- The paid orders whose units have left each cart. Taking a paid order's units out of its
-- cart subtracts, so it was never sent again after a timeout, and a lost answer (a shard
-- moving, a NATS pause) left the bought units in the cart for the next checkout to buy
-- again. Recorded in the same write as the removal, it can be sent until it is answered.
CREATE TABLE IF NOT EXISTS cart_bought_orders (
  user_id VARCHAR(40) NOT NULL,
  order_id VARCHAR(40) NOT NULL,
  applied_at BIGINT NOT NULL,
  PRIMARY KEY (user_id, order_id),
  -- For the retention job (a day: an order stops sending after about two minutes).
  KEY cart_bought_orders_applied (applied_at)
);
