-- When the catalog event that last listed a product was made (ms since the epoch), so a
-- removal and a listing apply newest-wins by their own times, in whatever order they land:
-- the DELETE route marks a product removed at once, while the item service may still be
-- writing an earlier listing of it, which used to clear that mark and put the product back
-- on sale after the 204. NULL: listed before this column existed, or not by an event.
ALTER TABLE products ADD COLUMN listed_at BIGINT NULL;
