-- Inventory: one row per SKU (the entity's fencing version and totals), stock per
-- warehouse, and reservations. Written only by the SKU's inventory actor.
CREATE TABLE IF NOT EXISTS warehouses (
  warehouse_id VARCHAR(64) NOT NULL PRIMARY KEY,
  name VARCHAR(200) NOT NULL,
  region VARCHAR(64) NOT NULL,
  lat DOUBLE NULL,
  lon DOUBLE NULL
);

CREATE TABLE IF NOT EXISTS inventory (
  sku VARCHAR(128) NOT NULL PRIMARY KEY,
  -- Bumped by every committed batch; a write names the version it was decided on.
  version BIGINT NOT NULL DEFAULT 0,
  on_hand INT NOT NULL DEFAULT 0,
  reserved INT NOT NULL DEFAULT 0,
  updated_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  CONSTRAINT inventory_never_oversold CHECK (reserved >= 0 AND reserved <= on_hand)
);

CREATE TABLE IF NOT EXISTS inventory_stock (
  sku VARCHAR(128) NOT NULL,
  warehouse_id VARCHAR(64) NOT NULL,
  on_hand INT NOT NULL DEFAULT 0,
  reserved INT NOT NULL DEFAULT 0,
  PRIMARY KEY (sku, warehouse_id),
  CONSTRAINT stock_never_oversold CHECK (reserved >= 0 AND reserved <= on_hand)
);

CREATE TABLE IF NOT EXISTS reservations (
  sku VARCHAR(128) NOT NULL,
  reservation_id VARCHAR(128) NOT NULL,
  warehouse_id VARCHAR(64) NOT NULL,
  qty INT NOT NULL,
  owner VARCHAR(128) NULL,
  status ENUM('active', 'committed', 'released', 'expired') NOT NULL,
  -- Milliseconds since the epoch, so expiry compares without time-zone questions.
  expires_at BIGINT NOT NULL,
  created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  -- The primary key starts with sku, so loading a SKU's reservations needs no other index;
  -- every extra index here costs each reservation of a flash sale another B-tree insert.
  PRIMARY KEY (sku, reservation_id),
  KEY reservations_due (status, expires_at)
);

-- Events other parts must hear about, written in the same transaction as the change and
-- relayed to JetStream with Nats-Msg-Id = id, so a relay crash neither loses nor doubles one.
CREATE TABLE IF NOT EXISTS outbox (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  subject VARCHAR(255) NOT NULL,
  payload JSON NOT NULL,
  created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  published_at TIMESTAMP(3) NULL,
  KEY outbox_pending (published_at, id)
);
