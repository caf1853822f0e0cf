// Shared MariaDB plumbing for the SQL baselines: make sure the database and bench tables
// exist, then hand out a promise pool sized for the sale.
import mysql, { type Pool } from 'mysql2/promise';

/**
 * Connections per pool. Every buyer fights over one row on a 2-core box that also runs
 * MariaDB (innodb_flush_log_at_trx_commit=1), so extra connections only lengthen the lock
 * queue and add context switches. Median reservations/s over 2-7 runs each
 * (50k buyers, 25k stock, 256 workers; the box is noisy, runs varied by up to ±30%):
 *
 *   pool           2     4     6     8    12    16    32    64   128
 *   for-update   2200  2080  2130  2020  1750  2080  1870  1800  1860
 *   conditional  5520  9110  7360  8210  6700  5990  5320  4760  4650
 *
 * for-update is flat within the noise from 2 to 16 (the row lock serialises it whatever
 * the pool); conditional peaks clearly at 4, so both use 4.
 */
export const defaultPoolSize = 4;

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
