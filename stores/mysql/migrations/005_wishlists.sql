-- Wishlists: plain rows, read through a Redis cache that each write invalidates.
CREATE TABLE IF NOT EXISTS wishlist_items (
  user_id VARCHAR(40) NOT NULL,
  sku VARCHAR(128) NOT NULL,
  added_at BIGINT NOT NULL,
  PRIMARY KEY (user_id, sku),
  KEY wishlist_recent (user_id, added_at)
);
