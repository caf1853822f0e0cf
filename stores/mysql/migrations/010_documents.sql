-- The default document store (stores/documents, MariaDB adapter): one row per document,
-- the body as JSON, grouped by collection. Product documents live in collection "products".
CREATE TABLE IF NOT EXISTS documents (
  collection VARCHAR(64) NOT NULL,
  id VARCHAR(128) NOT NULL,
  body JSON NOT NULL,
  updated_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (collection, id)
);
