// A gateway stopped (SIGSTOP, a long GC pause, a frozen VM) in the middle of a change to a
// user's addresses or wishlist must not keep that user's row locked: every new order and
// payment of the user locks the same row (orders.ts), in journal batches shared with other
// users' orders. Interactive transactions held the lock between their statements for as
// long as the process stayed stopped; one compound statement runs to its COMMIT in the
// server whatever the client does. Real MariaDB, a real process stopped with SIGSTOP.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { freshDatabase, startProcess, eventually, type Proc } from './support/harness.ts';

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
  const blocker = await db.pool.getConnection();
  let writer: Proc | undefined;
  try {
    await blocker.beginTransaction();
    await blocker.query("INSERT INTO addresses (address_id, user_id, line1, city, region, country, postal_code, cluster) VALUES (?, 'someone-else', 'x', 'x', 'x', 'US', '1', 'c')", [addressId]);
    writer = startProcess('test/support/address-writer.ts', { ...db.env.env, MYSQL_URL: db.env.mysqlUrl, USER_ID: userId, ADDRESS_ID: addressId });
    await writer.waitFor(/adding the address/, 60_000);
    // The writer's insert is waiting for our row.
    await eventually(async () => {
      // The writer's connection running its insert of that address (the process list shows
      // the statement of a compound block being run). Not INNODB_TRX's LOCK WAIT: MariaDB
      // 10.11 did not list a transaction begun inside a compound statement there.
      const [rows] = await db.pool.query(`SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST
        WHERE DB = DATABASE() AND ID <> CONNECTION_ID() AND COMMAND = 'Query' AND INFO LIKE 'INSERT INTO addresses%'`);
      return Number((rows as { n: number }[])[0]?.n ?? 0) > 0 || undefined;
    }, 60_000, 50);
    // Past the insert's start, well inside its wait.
    await new Promise((r) => setTimeout(r, 200));
    writer.child.kill('SIGSTOP');
    // Let the writer's insert through; the writer itself stays stopped.
    await blocker.rollback();

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
    blocker.release();
    if (writer) {
      writer.child.kill('SIGCONT');
      await writer.kill('SIGKILL');
    }
  }
});

test.run();
