-- "Not interested" feedback: a user hides a category (and its subtree) or one SKU from
-- their recommendations. The system of record; Redis holds a copy per user for reads.
CREATE TABLE IF NOT EXISTS recommendation_feedback (
  user_id VARCHAR(40) NOT NULL,
  kind ENUM('category', 'sku') NOT NULL,
  value VARCHAR(128) NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (user_id, kind, value)
);
