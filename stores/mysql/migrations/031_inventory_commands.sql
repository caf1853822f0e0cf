-- Absolute stock settings (setStock) applied to a SKU, by command id, so a resent command
-- is recognised instead of applied again over the sales made since. Written in the same
-- transaction as the stock it set; read back on activation within the dedup window.
CREATE TABLE IF NOT EXISTS inventory_commands (
  sku VARCHAR(128) NOT NULL,
  command_id VARCHAR(128) NOT NULL,
  applied_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (sku, command_id),
  KEY inventory_commands_age (applied_at)
);
