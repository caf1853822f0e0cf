-- Which database this is, whatever its name or host: the nodes of one cluster must share
-- one (cluster/join-check.ts), and a node pointed at another (a mistyped MYSQL_URL, then
-- created by `npm run migrate`) is refused. Made once; a restored backup keeps it.
CREATE TABLE IF NOT EXISTS database_identity (
  id CHAR(36) NOT NULL PRIMARY KEY,
  created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
);
INSERT INTO database_identity (id) SELECT UUID() FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM database_identity);
