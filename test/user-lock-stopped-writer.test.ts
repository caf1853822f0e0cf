// A gateway stopped (SIGSTOP, a long GC pause, a frozen VM) in the middle of a change to a
// user's addresses or wishlist must not keep that user's row locked: every new order and
// payment of the user locks the same row (orders.ts), in journal batches shared with other
// users' orders. Interactive transactions held the lock between their statements for as
// long as the process stayed stopped; one compound statement runs to its COMMIT in the
// server whatever the client does. Real MariaDB, a real process stopped with SIGSTOP.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { freshDatabase } from './support/harness.ts';
import { stopWriterInside } from './support/stopped-writer.ts';

const db = freshDatabase(test, 'userlockstop');
const userId = 'u-stopped-writer';
const addressId = 'addr-stopped-writer';

test('a writer stopped inside an address change leaves the user row free once the server could finish', async () => {
  await db.pool.query(
    "INSERT INTO users (user_id, email, name, password_hash, password_salt, password_params) VALUES (?, 'stopped@example.com', 'S', x'00', x'00', 'p')",
    [userId],
  );
  // Holds the address row the writer will insert, so the writer waits inside its write
  // (after it locked the user row) until we let go: the moment to stop it is then certain.
  const stopped = await stopWriterInside(db.pool, {
    hold: ["INSERT INTO addresses (address_id, user_id, line1, city, region, country, postal_code, cluster) VALUES (?, 'someone-else', 'x', 'x', 'x', 'US', '1', 'c')", [addressId]],
    script: 'test/support/address-writer.ts', env: { ...db.env.env, MYSQL_URL: db.env.mysqlUrl, USER_ID: userId, ADDRESS_ID: addressId }, says: /adding the address/, statement: 'INSERT INTO addresses',
  });
  try {
    // Another request on this user (a payment's points, an order's open-order check) gets
    // the row within a few seconds, not after the stopped writer resumes.
    const other = await db.pool.getConnection();
    try {
      await other.query('SET SESSION innodb_lock_wait_timeout = 3');
      const started = Date.now();
      const err = await other.query('UPDATE users SET reward_points = reward_points + 1 WHERE user_id = ?', [userId]).then(() => undefined, (e: unknown) => e);
      assert.is(err, undefined, `the user row is still locked by the stopped writer after ${Date.now() - started} ms: ${String(err)}`);
    } finally {
      await other.query('SET SESSION innodb_lock_wait_timeout = DEFAULT').catch(() => undefined);
      other.release();
    }
    // And the stopped writer's change was made whole (committed in the server).
    const [rows] = await db.pool.query('SELECT a.user_id, u.default_address_id FROM addresses a JOIN users u ON u.user_id = a.user_id WHERE a.address_id = ?', [addressId]);
    assert.equal(rows, [{ user_id: userId, default_address_id: addressId }]);
  } finally {
    await stopped.end();
  }
});

test.run();
