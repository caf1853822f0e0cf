// Baseline: the textbook pessimistic sale — lock the stock row with SELECT … FOR UPDATE,
// decrement it and insert a sale row in one transaction.
import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';
import { benchSku, type Strategy } from '../strategy.ts';
import { defaultPoolSize, openPool, readAvailable, resetStock } from './mysql-pool.ts';

async function takeOne(conn: PoolConnection, buyerId: number): Promise<boolean> {
  await conn.beginTransaction();
  const [rows] = await conn.execute<RowDataPacket[]>('SELECT available FROM bench_stock WHERE sku = ? FOR UPDATE', [benchSku]);
  const available: unknown = rows[0]?.['available'];
  if (typeof available !== 'number') throw new Error(`bench_stock has no row for ${benchSku}`);
  if (available <= 0) {
    // Nothing was written, so rolling back just drops the lock without a log flush.
    await conn.rollback();
    return false;
  }
  await conn.execute('UPDATE bench_stock SET available = available - 1 WHERE sku = ?', [benchSku]);
  await conn.execute('INSERT INTO bench_sales (sku, buyer_id) VALUES (?, ?)', [benchSku, buyerId]);
  await conn.commit();
  return true;
}

async function countSales(pool: Pool): Promise<number> {
  const [rows] = await pool.execute<RowDataPacket[]>('SELECT COUNT(*) AS n FROM bench_sales WHERE sku = ?', [benchSku]);
  return Number(rows[0]?.['n']);
}

export async function createMysqlForUpdate(opts: { mysqlUrl: string; poolSize?: number }): Promise<Strategy> {
  const pool = await openPool(opts.mysqlUrl, opts.poolSize ?? defaultPoolSize);
  let stock = 0;
  return {
    name: 'mysql-for-update',
    durable: true,
    async setup(units) {
      stock = units;
      await pool.execute('DELETE FROM bench_sales WHERE sku = ?', [benchSku]);
      await resetStock(pool, benchSku, units);
    },
    async buy(buyerId) {
      const conn = await pool.getConnection();
      try {
        const ok = await takeOne(conn, buyerId);
        conn.release();
        return ok;
      } catch (err) {
        // A connection whose transaction state is unknown must not go back to the pool.
        try {
          await conn.rollback();
          conn.release();
        } catch {
          conn.destroy();
        }
        throw err;
      }
    },
    async countDurable() {
      const rows = await countSales(pool);
      const taken = stock - (await readAvailable(pool, benchSku));
      if (rows !== taken) throw new Error(`bench_sales holds ${rows} rows but the stock row says ${taken} units were taken`);
      return rows;
    },
    async close() {
      await pool.end();
    },
  };
}
