-- Fencing tokens: each activation of an entity (inventory:<sku>, cart:<user>, session:<id>,
-- checkout:<order>) takes the next epoch here, and every write of that entity checks, in
-- its own transaction, that the epoch is still the one it took (stores/mysql/epochs.ts).
CREATE TABLE IF NOT EXISTS entity_epochs (
  entity_type VARCHAR(32) NOT NULL,
  entity_id VARCHAR(128) NOT NULL,
  epoch BIGINT NOT NULL,
  PRIMARY KEY (entity_type, entity_id)
);
