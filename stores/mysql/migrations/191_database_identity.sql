-- Which database this is, whatever its name or host: the nodes of one cluster must share
-- one (cluster/join-check.ts), and a node pointed at another (a mistyped MYSQL_URL, then
-- created by `npm run migrate`) is refused. Its one row is written by the first process
-- that reads it (stores/mysql/migrate.ts databaseIdentity), as a literal: UUID() here would
-- give a replica under statement-based replication an identity of its own. A restored
-- backup keeps it.
CREATE TABLE IF NOT EXISTS database_identity (
  id CHAR(36) NOT NULL PRIMARY KEY,
  created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
);
