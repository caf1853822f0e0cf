// The MariaDB connection pool (mysql2). One per process; repositories take it.
import mysql from 'mysql2/promise';

export type Pool = mysql.Pool;
export type PoolConnection = mysql.PoolConnection;

export interface PoolOptions {
  connectionLimit?: number;
}

/** Creates a pool for `url` (mysql://user:pass@host:port/db). Connections are made lazily. */
export function createPool(url: string, opts: PoolOptions = {}): Pool {
  return mysql.createPool({
    uri: url,
    connectionLimit: opts.connectionLimit ?? 16,
    // Anonymous compound statements (BEGIN NOT ATOMIC … END) carry a whole group commit
    // in one round trip; they need the multi-statement protocol flag.
    multipleStatements: true,
    supportBigNumbers: true,
    dateStrings: false,
    timezone: 'Z',
    enableKeepAlive: true,
  });
}

/**
 * Runs `work` in a transaction on one connection: committed when it returns, rolled back
 * when it throws, and the connection always goes back to the pool.
 */
export async function withTransaction<T>(pool: Pool, work: (conn: PoolConnection) => Promise<T>): Promise<T> {
  const conn = await pool.getConnection();
  try {
    await conn.beginTransaction();
    const result = await work(conn);
    await conn.commit();
    return result;
  } catch (err) {
    await conn.rollback().catch(() => undefined);
    throw err;
  } finally {
    conn.release();
  }
}

/** The database named in a MySQL URL. */
export function databaseOf(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_]{1,64}$/.test(name)) throw new Error(`MYSQL_URL must name a database of letters, digits and _ (got "${name}")`);
  return name;
}

/** The same URL with another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
