-- Orders and their checkout saga state, written only by the order's checkout:<orderId>
-- actor (each step conditional on the version it loaded), the status timeline, and the
-- simulated card processor's charges (it lives in the project; a real one keeps its own).
CREATE TABLE IF NOT EXISTS orders (
  order_id VARCHAR(40) NOT NULL PRIMARY KEY,
  user_id VARCHAR(40) NOT NULL,
  status ENUM('pending_payment', 'payment_declined', 'charging', 'paid', 'cancelled', 'expired', 'failed') NOT NULL,
  version INT NOT NULL,
  source ENUM('cart', 'items') NOT NULL,
  -- [{sku, qty, price, title, reservationId, warehouseId}]
  lines_json JSON NOT NULL,
  currency CHAR(3) NOT NULL,
  subtotal BIGINT NOT NULL,
  discount BIGINT NOT NULL,
  total BIGINT NOT NULL,
  coupon_code VARCHAR(64) NULL,
  address_json JSON NULL,
  -- Milliseconds since the epoch.
  reserved_until BIGINT NOT NULL,
  -- The payment attempt in progress or last made: its idempotency key at the provider,
  -- and the card token, so a saga resumed elsewhere repeats the same charge, never a new one.
  payment_key VARCHAR(160) NULL,
  payment_token VARCHAR(128) NULL,
  payment_attempts INT NOT NULL DEFAULT 0,
  payment_id VARCHAR(160) NULL,
  created_at BIGINT NOT NULL,
  paid_at BIGINT NULL,
  updated_at BIGINT NOT NULL,
  KEY orders_user (user_id, created_at, order_id),
  KEY orders_due (status, reserved_until),
  KEY orders_stuck (status, updated_at)
);

CREATE TABLE IF NOT EXISTS order_events (
  order_id VARCHAR(40) NOT NULL,
  seq INT NOT NULL,
  at BIGINT NOT NULL,
  status VARCHAR(32) NOT NULL,
  detail VARCHAR(300) NOT NULL DEFAULT '',
  PRIMARY KEY (order_id, seq)
);

CREATE TABLE IF NOT EXISTS sim_charges (
  idempotency_key VARCHAR(160) NOT NULL PRIMARY KEY,
  order_id VARCHAR(40) NOT NULL,
  amount BIGINT NOT NULL,
  currency CHAR(3) NOT NULL,
  outcome ENUM('approved', 'declined') NOT NULL,
  reason VARCHAR(120) NULL,
  refunded_at BIGINT NULL,
  created_at BIGINT NOT NULL,
  KEY sim_charges_order (order_id)
);
