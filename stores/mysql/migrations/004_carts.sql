-- Carts: written only by the `cart:<userId>` actor. `version` fences a writer that lost
-- its shard (UPDATE … WHERE version = the one it loaded).
CREATE TABLE IF NOT EXISTS carts (
  user_id VARCHAR(40) NOT NULL PRIMARY KEY,
  version BIGINT NOT NULL,
  updated_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)
);

CREATE TABLE IF NOT EXISTS cart_lines (
  user_id VARCHAR(40) NOT NULL,
  sku VARCHAR(128) NOT NULL,
  qty INT NOT NULL,
  -- The unit price when the line was added, in minor units.
  price INT NOT NULL,
  currency CHAR(3) NOT NULL,
  added_at BIGINT NOT NULL,
  PRIMARY KEY (user_id, sku),
  CONSTRAINT cart_qty_range CHECK (qty BETWEEN 1 AND 99)
);
