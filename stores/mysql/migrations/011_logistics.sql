-- Logistics: delivery clusters (the areas addresses map to, see actors/users/region.ts)
-- and routes warehouse → cluster with transit days. Warehouses come with 001_inventory.
CREATE TABLE IF NOT EXISTS delivery_clusters (
  cluster_id VARCHAR(64) NOT NULL PRIMARY KEY,
  name VARCHAR(200) NOT NULL,
  country CHAR(2) NOT NULL
);

CREATE TABLE IF NOT EXISTS delivery_routes (
  warehouse_id VARCHAR(64) NOT NULL,
  cluster_id VARCHAR(64) NOT NULL,
  transit_days INT NOT NULL,
  PRIMARY KEY (warehouse_id, cluster_id),
  CONSTRAINT route_days_positive CHECK (transit_days >= 0 AND transit_days <= 60)
);
