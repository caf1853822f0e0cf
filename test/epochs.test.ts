// Epoch claims against the real MariaDB: the activations of a process claim together, one
// transaction per turn of the event loop, and each claim still behaves as if alone: its own
// epoch (also for two claims of one entity), its read after its own claim. A claim only
// if the entity exists writes nothing for one that does not; retired epochs never return.
// run-tests: alone (it asserts a claim answers before a lock elsewhere is let go)
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { claimEpoch, claimEpochAndRead, claimEpochIfExists, epochClaimStats, guard, retireEpochs, type Fence } from '../stores/mysql/epochs.ts';
import { writeAtomically, FencedWriteError } from '../stores/mysql/writes.ts';
import { projectRoot } from '../app/project-root.ts';
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
  // What the old write's guard takes (epochs.ts `guard`): a shared lock on its epoch row.
  await conn.query("SELECT epoch FROM entity_epochs WHERE entity_type = 'cart' AND entity_id = 'rc-b' LOCK IN SHARE MODE");
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

const cartExists = (userId: string) => ({ sql: 'SELECT 1 FROM carts WHERE user_id = ?', params: [userId] });
const epochOf = async (type: string, id: string) => {
  const [rows] = await db.pool.query('SELECT epoch FROM entity_epochs WHERE entity_type = ? AND entity_id = ?', [type, id]);
  const row = (rows as { epoch: number | string }[])[0];
  return row && Number(row.epoch);
};

test('a claim only if the entity exists: none and no row for one that does not; the next epoch and the read for one that does', async () => {
  const [absent, present] = await Promise.all([
    claimEpochIfExists(db.pool, 'cart', 'ie-none', cartExists('ie-none'), readCart('ie-none')),
    (async () => {
      await db.pool.query('INSERT INTO carts (user_id, version) VALUES (?, 3)', ['ie-some']);
      await claimEpoch(db.pool, 'cart', 'ie-some');
      return claimEpochIfExists(db.pool, 'cart', 'ie-some', cartExists('ie-some'), readCart('ie-some'));
    })(),
  ]);
  assert.equal(absent, { fence: undefined, rows: [] });
  assert.is(await epochOf('cart', 'ie-none'), undefined, 'nothing written for a made-up id');
  assert.is(present.fence?.epoch, 2);
  assert.equal((present.rows as { version: number }[]).map((r) => Number(r.version)), [3]);
  assert.is(await epochOf('cart', 'ie-some'), 2);
});

test('retired epochs go, and a later claim of the entity starts above them: an old owner stays fenced', async () => {
  // rt-a reached epoch 3, rt-b epoch 1; an owner still holds rt-a's epoch 3.
  let held: Fence | undefined;
  for (let i = 0; i < 3; i++) held = await claimEpoch(db.pool, 'cart', 'rt-a');
  await claimEpoch(db.pool, 'cart', 'rt-b');
  await claimEpoch(db.pool, 'cart', 'rt-keep');
  assert.is(await retireEpochs(db.pool, 'cart', ['rt-a', 'rt-b', 'rt-never']), 2);
  assert.equal([await epochOf('cart', 'rt-a'), await epochOf('cart', 'rt-b'), await epochOf('cart', 'rt-keep')], [undefined, undefined, 1]);
  const [floor] = await db.pool.query('SELECT floor FROM entity_epoch_floor');
  assert.ok(Number((floor as { floor: number }[])[0]!.floor) >= 3, 'the floor is at least the highest epoch retired');

  const again = await claimEpoch(db.pool, 'cart', 'rt-a');
  assert.ok(again.epoch > 3, `the claim after retirement took ${again.epoch}, above the retired 3`);
  const write = (f: Fence) => writeAtomically(db.pool, [guard(f), { sql: 'INSERT INTO carts (user_id, version) VALUES (?, 1) ON DUPLICATE KEY UPDATE version = version + 1;', params: ['rt-a'] }], 'cart rt-a');
  const stale = await write(held!).then(() => undefined, (err: unknown) => err);
  assert.instance(stale, FencedWriteError, 'the owner from before the retirement is fenced');
  await write(again);
  assert.is((await claimEpoch(db.pool, 'cart', 'rt-fresh')).epoch, again.epoch, 'an entity never seen starts above the floor too');
  assert.is((await claimEpoch(db.pool, 'cart', 'rt-keep')).epoch, 2, 'one with a row goes on from it');
});

test('a claim waiting behind a retirement in progress takes an epoch above what was retired', async () => {
  for (let i = 0; i < 5; i++) await claimEpoch(db.pool, 'cart', 'rw-a');
  // The retirement's two steps by hand, the DELETE held open: the floor committed first.
  await db.pool.query("UPDATE entity_epoch_floor SET floor = GREATEST(floor, (SELECT epoch FROM entity_epochs WHERE entity_type = 'cart' AND entity_id = 'rw-a'))");
  const conn = await db.pool.getConnection();
  await conn.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
  await conn.beginTransaction();
  await conn.query("DELETE FROM entity_epochs WHERE entity_type = 'cart' AND entity_id = 'rw-a'");
  const claim = claimEpoch(db.pool, 'cart', 'rw-a');
  await new Promise((r) => setTimeout(r, 200));
  await conn.commit();
  conn.release();
  assert.ok((await claim).epoch > 5, `took ${(await claim).epoch}`);
});

test('migration 171 retires the rows made-up ids left before 170, and nothing else', async () => {
  const put = (type: string, id: string, epoch: number) => db.pool.query('INSERT INTO entity_epochs (entity_type, entity_id, epoch) VALUES (?, ?, ?)', [type, id, epoch]);
  await put('session', 'mg-made-up', 7);
  await put('session', 'mg-live', 2);
  await db.pool.query("INSERT INTO sessions (session_id, token_hash, user_id, device, created_at, expires_at, last_seen_at) VALUES ('mg-live', REPEAT('a', 64), 'u1', '', 0, ?, 0)", [Date.now() + 3600_000]);
  await put('inventory', 'MG-NOPE', 3);
  await put('inventory', 'MG-STOCKED', 4);
  await db.pool.query("INSERT INTO inventory (sku, version, on_hand, reserved) VALUES ('MG-STOCKED', 1, 5, 0)");
  await put('cart', 'mg-user', 9);
  await put('checkout', 'omgabandoned1', 1);
  const sql = await readFile(join(projectRoot, 'stores/mysql/migrations/171_retire_orphan_epochs.sql'), 'utf8');
  await db.pool.query(sql);
  const [rows] = await db.pool.query("SELECT entity_type, entity_id FROM entity_epochs WHERE entity_id LIKE 'mg-%' OR entity_id LIKE 'MG-%' OR entity_id = 'omgabandoned1' ORDER BY entity_type, entity_id");
  assert.equal((rows as { entity_type: string; entity_id: string }[]).map((r) => `${r.entity_type}:${r.entity_id}`),
    ['cart:mg-user', 'checkout:omgabandoned1', 'inventory:MG-STOCKED', 'session:mg-live']);
  const [floor] = await db.pool.query('SELECT floor FROM entity_epoch_floor');
  assert.ok(Number((floor as { floor: number }[])[0]!.floor) >= 7, 'the floor covers what went');
  assert.ok((await claimEpoch(db.pool, 'session', 'mg-made-up')).epoch > 7, 'a later claim starts above it');
});

test.run();
