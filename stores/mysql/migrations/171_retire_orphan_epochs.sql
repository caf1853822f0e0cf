-- Once, the epoch rows written before 170 for entities that do not exist: a session row per
-- made-up token ever shown and per session the retention had deleted, an inventory row per
-- made-up SKU ever read (a SKU without stock rows). Since 170 neither is written, and the
-- retention retires a deleted session's row. Retired as stores/mysql/epochs.ts
-- `retireEpochs` retires: the floor raised to their highest epoch first (each statement
-- commits on its own), then the rows at or under it, so no later claim of one of these
-- entities takes an epoch that was handed out before. Carts, SKUs with stock and orders
-- (an abandoned order id's row fences a late start) are left.
UPDATE entity_epoch_floor SET floor = GREATEST(floor, COALESCE((
  SELECT MAX(e.epoch) FROM entity_epochs e
  WHERE (e.entity_type = 'session' AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.session_id = e.entity_id))
     OR (e.entity_type = 'inventory' AND NOT EXISTS (SELECT 1 FROM inventory i WHERE i.sku = e.entity_id)
         AND NOT EXISTS (SELECT 1 FROM inventory_stock st WHERE st.sku = e.entity_id))
), 0)) WHERE id = 1;
DELETE e FROM entity_epochs e
WHERE ((e.entity_type = 'session' AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.session_id = e.entity_id))
    OR (e.entity_type = 'inventory' AND NOT EXISTS (SELECT 1 FROM inventory i WHERE i.sku = e.entity_id)
        AND NOT EXISTS (SELECT 1 FROM inventory_stock st WHERE st.sku = e.entity_id)))
  AND e.epoch <= (SELECT floor FROM entity_epoch_floor WHERE id = 1);
