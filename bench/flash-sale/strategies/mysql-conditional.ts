// Baseline: one autocommitted conditional UPDATE per buyer; the decremented stock row is
// the durable record of the sale.
import type { ResultSetHeader } from 'mysql2/promise';
import { benchSku, type Strategy } from '../strategy.ts';
import { defaultPoolSize, openPool, readAvailable, resetStock } from './mysql-pool.ts';

export async function createMysqlConditional(opts: { mysqlUrl: string; poolSize?: number }): Promise<Strategy> {
  const pool = await openPool(opts.mysqlUrl, opts.poolSize ?? defaultPoolSize);
  let stock = 0;
  return {
    name: 'mysql-conditional',
    durable: true,
    async setup(units) {
      stock = units;
      await resetStock(pool, benchSku, units);
    },
    async buy() {
      const [result] = await pool.execute<ResultSetHeader>(
        'UPDATE bench_stock SET available = available - 1 WHERE sku = ? AND available >= 1',
        [benchSku],
      );
      return result.affectedRows === 1;
    },
    async countDurable() {
      return stock - (await readAvailable(pool, benchSku));
    },
    async close() {
      await pool.end();
    },
  };
}
