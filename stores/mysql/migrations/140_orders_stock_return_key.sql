-- The sweeper's index of orders whose stock return is pending, keyed on the flag alone.
-- Keyed with updated_at (130), it was rewritten by every UPDATE of every order, paid ones
-- included, since each moves updated_at; on the flag alone it changes only when an order
-- closes unpaid and when its stock is back. The few flagged rows are sorted by the query.
ALTER TABLE orders ADD INDEX IF NOT EXISTS orders_stock_return_pending (stock_return_pending);
ALTER TABLE orders DROP INDEX IF EXISTS orders_stock_return;
