// Epoch claims against the real MariaDB: the activations of a process claim together, one
// transaction per turn of the event loop, and each claim still behaves as if alone: its own
// epoch (also for two claims of one entity), its read after its own claim.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { claimEpoch, claimEpochAndRead, checkFence, epochClaimStats, type Fence } from '../stores/mysql/epochs.ts';
import { freshDatabase } from './support/harness.ts';

const db = freshDatabase(test, 'epochs');

const readCart = (userId: string) => ({ sql: 'SELECT version FROM carts WHERE user_id = ?', params: [userId] });

test('claims asked in one turn share one transaction; each gets its own epoch, two of one entity two epochs', async () => {
  const before = epochClaimStats(db.pool);
  const ids = Array.from({ length: 20 }, (_, i) => `ec-${i}`);
  const fences = await Promise.all([...ids, 'ec-0'].map((id) => claimEpoch(db.pool, 'cart', id)));
  const after = epochClaimStats(db.pool);
  assert.is(after.claims - before.claims, 21);
  assert.is(after.batches - before.batches, 1, 'one transaction for the turn');
  assert.equal(fences.slice(1, 20).map((f) => f.epoch), Array(19).fill(1));
  assert.equal([fences[0]!.epoch, fences[20]!.epoch].sort(), [1, 2], 'the second claim of ec-0 took the next epoch');
  const [rows] = await db.pool.query("SELECT epoch FROM entity_epochs WHERE entity_type = 'cart' AND entity_id = 'ec-0'");
  assert.is(Number((rows as { epoch: number }[])[0]!.epoch), 2, 'committed before the claims were answered');
});

test('a claim waits for the old epoch\'s write in progress and its read sees it, though an earlier claim of the batch read first', async () => {
  const old = await claimEpoch(db.pool, 'cart', 'rc-b');
  // The old activation of rc-b: its write passed the guard (a shared lock on the epoch row) and has not committed.
  const conn = await db.pool.getConnection();
  await conn.beginTransaction();
  await checkFence(conn, old);
  await conn.query('INSERT INTO carts (user_id, version) VALUES (?, 7)', ['rc-b']);
  // One batch: rc-a (taken first, reads first) and rc-b (waits for the write above).
  const claims = Promise.all([claimEpochAndRead(db.pool, 'cart', 'rc-a', readCart('rc-a')), claimEpochAndRead(db.pool, 'cart', 'rc-b', readCart('rc-b'))]);
  await new Promise((r) => setTimeout(r, 300));
  await conn.commit();
  conn.release();
  const [a, b] = await claims;
  assert.equal(a.rows, []);
  assert.is(b.fence.epoch, old.epoch + 1);
  assert.equal((b.rows as { version: number }[]).map((r) => Number(r.version)), [7], 'the read after the claim sees the old epoch\'s committed write');
});

test('a claim that waits long for a lock holds up the others of its batch at most 2 s, then each goes alone', async () => {
  const old = await claimEpoch(db.pool, 'cart', 'lw-y');
  const conn = await db.pool.getConnection();
  await conn.beginTransaction();
  // An old activation of lw-y with a write in progress: a shared lock on its epoch row, held 3.5 s.
  await conn.query("SELECT epoch FROM entity_epochs WHERE entity_type = 'cart' AND entity_id = 'lw-y' LOCK IN SHARE MODE");
  const started = Date.now();
  const settledAt: Record<string, number> = {};
  const claims = ['lw-x', 'lw-y'].map((id) => claimEpoch(db.pool, 'cart', id).then((f) => {
    settledAt[id] = Date.now() - started;
    return f;
  }));
  await new Promise((r) => setTimeout(r, 3500));
  await conn.commit();
  conn.release();
  const [x, y] = (await Promise.all(claims)) as [Fence, Fence];
  assert.is(x.epoch, 1);
  assert.ok(settledAt['lw-x']! < 3500, `lw-x answered after ${settledAt['lw-x']} ms, before the lock on lw-y was let go`);
  assert.is(y.epoch, old.epoch + 1, 'lw-y still claimed, after the old write finished');
  assert.ok(settledAt['lw-y']! >= 3500, `lw-y waited for the old write (${settledAt['lw-y']} ms)`);
});

test.run();
