// A database this process cannot use is "unavailable, nothing applied" (503 to a client),
// never an anonymous error (a 500 `internal`): an ops audit saw checkouts answered 500 by a
// node whose MYSQL_URL named a database that did not exist. Real MariaDB.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StoreUnavailableError, createPool, withDatabase } from '../stores/mysql/index.ts';
import { freshDatabase } from './support/harness.ts';

const db = freshDatabase(test, 'storeerrors');

test('a missing database and a missing table are unavailable (retryable, nothing applied)', async () => {
  const missing = createPool(withDatabase(db.env.mysqlUrl, `${db.env.cluster}_nowhere`), { connectionLimit: 1 });
  try {
    const err = await missing.query('SELECT 1').then(() => undefined, (e: unknown) => e);
    assert.instance(err, StoreUnavailableError, String(err));
    assert.match(String(((err as Error).cause as Error).message), /Unknown database/, 'the server\'s words kept as the cause');
    assert.not.match(String((err as Error).message), /Unknown database|shop_/, 'and not told to the client');
  } finally {
    await missing.end();
  }
  const err = await db.pool.query('INSERT INTO no_such_table (x) VALUES (1)').then(() => undefined, (e: unknown) => e);
  assert.instance(err, StoreUnavailableError, String(err));
  assert.ok((err as StoreUnavailableError).retryable);
});

test('a deadlock inside a transaction is unavailable (retryable, nothing applied), not an anonymous error', async () => {
  await db.pool.query('CREATE TABLE deadlock_rows (id INT PRIMARY KEY, v INT NOT NULL)');
  await db.pool.query('INSERT INTO deadlock_rows VALUES (1, 0), (2, 0)');
  const [a, b] = [await db.pool.getConnection(), await db.pool.getConnection()];
  try {
    await a.beginTransaction();
    await b.beginTransaction();
    await a.query('UPDATE deadlock_rows SET v = 1 WHERE id = 1');
    await b.query('UPDATE deadlock_rows SET v = 2 WHERE id = 2');
    // Each now waits for the other's row: InnoDB rolls one back (ER_LOCK_DEADLOCK, 1213).
    const outcomes = await Promise.allSettled([a.query('UPDATE deadlock_rows SET v = 1 WHERE id = 2'), b.query('UPDATE deadlock_rows SET v = 2 WHERE id = 1')]);
    const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    assert.is(failed.length, 1, 'one victim');
    const err = failed[0]!.reason as Error;
    assert.instance(err, StoreUnavailableError, String(err));
    assert.ok((err as StoreUnavailableError).retryable);
    assert.is(((err.cause as { errno?: number }).errno), 1213);
    assert.not.match(err.message, /Deadlock found/, 'the server\'s words stay in the cause');
  } finally {
    await a.rollback().catch(() => undefined);
    await b.rollback().catch(() => undefined);
    a.release();
    b.release();
  }
});

test.run();
