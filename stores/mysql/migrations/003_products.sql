-- The smallest product table the cart and wishlist need (price in minor units). The
-- catalog issue owns products and may replace this table with its own migration.
CREATE TABLE IF NOT EXISTS products (
  sku VARCHAR(128) NOT NULL PRIMARY KEY,
  title VARCHAR(300) NOT NULL,
  brand VARCHAR(120) NOT NULL DEFAULT '',
  category VARCHAR(120) NOT NULL DEFAULT '',
  price INT NOT NULL,
  currency CHAR(3) NOT NULL,
  attributes JSON NULL,
  supplier_id VARCHAR(64) NULL,
  created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  KEY products_category (category)
);
