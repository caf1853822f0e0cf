-- The floor under every epoch a claim may hand out for an entity that has no epoch row:
-- at least the highest epoch ever retired (deleted with the entity it fenced, see
-- stores/mysql/epochs.ts `retireEpochs`). A row of entity_epochs can then go without a
-- later activation of the same entity taking an epoch that an old, paused owner still holds.
CREATE TABLE IF NOT EXISTS entity_epoch_floor (
  id TINYINT NOT NULL PRIMARY KEY,
  floor BIGINT NOT NULL
);
INSERT IGNORE INTO entity_epoch_floor (id, floor) VALUES (1, 0);
