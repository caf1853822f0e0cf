-- Loading a SKU read every reservation row it ever had (the primary key's sku prefix) to
-- find the active ones and those finished within the dedup window: about a second per
-- million rows of history, on every activation, failover included, and growing with every
-- unit sold. Keyed on (sku, status, updated_at), each of the load's queries is a range of
-- what it returns. A status change moves the row's entry, as it already did in
-- reservations_due.
ALTER TABLE reservations ADD INDEX IF NOT EXISTS reservations_by_sku (sku, status, updated_at);
