-- Delivery zones: postal-code prefixes that put an address into a delivery cluster, so a
-- city can be split into clusters (the longest matching prefix wins). Addresses no zone
-- claims fall back to the built-in country/state rule (actors/users/region.ts).
CREATE TABLE IF NOT EXISTS delivery_zones (
  country CHAR(2) NOT NULL,
  postal_prefix VARCHAR(12) NOT NULL,
  cluster_id VARCHAR(64) NOT NULL,
  PRIMARY KEY (country, postal_prefix),
  KEY zones_cluster (cluster_id)
);
