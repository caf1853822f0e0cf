-- Secrets every process of the cluster shares and no cache holds. The first is the key of
-- the idempotency layer's fingerprints of password-bearing requests (gateway/idempotency.ts),
-- so Redis keeps no fast hash of a password. Rows are made by the first process that needs
-- one (stores/mysql/secrets.ts: INSERT IGNORE of random bytes, then read back).
CREATE TABLE IF NOT EXISTS cluster_secrets (
  name VARCHAR(64) NOT NULL PRIMARY KEY,
  secret VARBINARY(64) NOT NULL,
  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
