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

test.run();
