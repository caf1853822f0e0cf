-- An order that closes unpaid (expired, cancelled) gives its stock back after the close is
-- stored: held units are released, and units committed ahead of a payment that was never
-- recorded go back on sale. The close sets stock_return_pending in its own transaction, and
-- the flag is cleared once every reservation of the order was given back, so a return lost
-- to a crash or an outage is found again however long it takes (the checkout sweeper reads
-- the flagged orders through this index; there are only ever a few).
ALTER TABLE orders ADD COLUMN IF NOT EXISTS stock_return_pending TINYINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD INDEX IF NOT EXISTS orders_stock_return (stock_return_pending, updated_at);
