// A gateway stopped (SIGSTOP, a long GC pause, a frozen VM) in the middle of a signup's
// write must not keep the new account's rows locked: the client's retry of that signup on
// another gateway inserts the same email (and, with an Idempotency-Key, the same user id)
// and must meet the account (duplicate key: 409 email_taken, or the keyed retry's own
// account), not wait on the stopped gateway's lock until it times out. Real MariaDB, a
// real process stopped with SIGSTOP, as in user-lock-stopped-writer.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { freshDatabase } from './support/harness.ts';
import { stopWriterInside } from './support/stopped-writer.ts';
import { UserRepository, isDuplicateKey } from '../stores/mysql/users.ts';

const db = freshDatabase(test, 'signupstop');
const userId = 'u-stopped-signup';
const email = 'stopped-signup@example.com';
const couponId = 'c-stopped-signup';

test('a signup stopped inside its write leaves the account to a retry once the server could finish', async () => {
  // Holds the coupon row the writer will insert, so the writer waits inside its write
  // (after it inserted the user) until we let go: the moment to stop it is then certain.
  const stopped = await stopWriterInside(db.pool, {
    hold: ["INSERT INTO coupons (coupon_id, user_id, code, description, discount_percent) VALUES (?, 'someone-else', 'X', 'x', 1)", [couponId]],
    script: 'test/support/signup-writer.ts', env: { ...db.env.env, MYSQL_URL: db.env.mysqlUrl, USER_ID: userId, EMAIL: email, COUPON_ID: couponId }, says: /creating the user/, statement: 'INSERT INTO coupons',
  });
  try {
    // The retry of the same signup (same email, same derived id) elsewhere: a duplicate key
    // within a few seconds, as its caller (UsersService.signup) expects, not a lock wait.
    const other = await db.pool.getConnection();
    try {
      await other.query('SET SESSION innodb_lock_wait_timeout = 3');
      const started = Date.now();
      const err = await other.query(
        "INSERT INTO users (user_id, email, name, password_hash, password_salt, password_params) VALUES (?, ?, 'R', x'00', x'00', 'p')", [userId, email],
      ).then(() => undefined, (e: unknown) => e);
      assert.ok(isDuplicateKey(err), `the retry did not meet the account after ${Date.now() - started} ms: ${String(err)}`);
    } finally {
      await other.query('SET SESSION innodb_lock_wait_timeout = DEFAULT').catch(() => undefined);
      other.release();
    }
    // And the stopped writer's signup was made whole (committed in the server).
    const [rows] = await db.pool.query('SELECT u.email, c.coupon_id FROM users u JOIN coupons c ON c.user_id = u.user_id WHERE u.user_id = ?', [userId]);
    assert.equal(rows, [{ email, coupon_id: couponId }]);
  } finally {
    await stopped.end();
  }
});

test('a taken email is still a duplicate-key error (ER_DUP_ENTRY) from the compound write', async () => {
  const users = new UserRepository(db.pool);
  const base = { passwordHash: Buffer.from([1]), passwordSalt: Buffer.from([2]), passwordParams: 'p', name: 'D', rewardPoints: 0 };
  const coupon = (id: string) => ({ couponId: id, code: 'WELCOME10', description: 'w', discountPercent: 10, expiresAt: Date.now() + 86_400_000 });
  await users.create({ ...base, userId: 'u-dup-1', email: 'dup@example.com', coupon: coupon('c-dup-1') });
  const err = await users.create({ ...base, userId: 'u-dup-2', email: 'dup@example.com', coupon: coupon('c-dup-2') }).then(() => undefined, (e: unknown) => e);
  assert.ok(isDuplicateKey(err), String(err));
  assert.is((err as { errno?: number }).errno, 1062);
  // Nothing of the refused signup was kept (its coupon neither).
  const [rows] = await db.pool.query("SELECT COUNT(*) AS n FROM coupons WHERE coupon_id = 'c-dup-2'");
  assert.is(Number((rows as { n: number }[])[0]?.n), 0);
  // The first signup's expiry round-trips as before (a Date through the compound's placeholders).
  const [c] = await db.pool.query("SELECT expires_at > NOW(3) AS later FROM coupons WHERE coupon_id = 'c-dup-1'");
  assert.is(Number((c as { later: number }[])[0]?.later), 1);
});

test.run();
