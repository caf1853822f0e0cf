// The node's write journal against the real MariaDB: writes of many entities share one
// transaction and one round trip per batch, each entity's part still fenced on its own —
// a part whose epoch was taken (or whose version moved) fails alone and the rest commit.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Journal } from '../stores/mysql/index.ts';
import { CartRepository, type CartWrite } from '../stores/mysql/carts.ts';
import { OrderRepository } from '../stores/mysql/orders.ts';
import { SimulatedCardProcessor } from '../actors/payment/index.ts';
import { claimEpoch } from '../stores/mysql/epochs.ts';
import { FencedWriteError } from '../stores/mysql/writes.ts';
import { freshDatabase } from './support/harness.ts';
import { newOrder } from './support/orders.ts';

const db = freshDatabase(test, 'journal');

const line = (sku: string, qty: number) => ({ sku, qty, price: 100, currency: 'USD', addedAt: Date.now(), title: sku });

async function qtyOf(userId: string, sku: string): Promise<number | undefined> {
  const [rows] = await db.pool.query('SELECT qty FROM cart_lines WHERE user_id = ? AND sku = ?', [userId, sku]);
  const r = (rows as { qty: number }[])[0];
  return r === undefined ? undefined : Number(r.qty);
}

test('one batch, three carts: the one whose epoch a new owner took fails alone; the others commit', async () => {
  const journal = new Journal(db.pool);
  const carts = new CartRepository(db.pool, journal);
  const fences = await Promise.all(['ja', 'jb', 'jc'].map((u) => claimEpoch(db.pool, 'cart', u)));
  // A new activation of jb elsewhere: the first fence of jb is stale from now on.
  await claimEpoch(db.pool, 'cart', 'jb');
  const writes: CartWrite[] = ['ja', 'jb', 'jc'].map((userId, i) => ({ userId, fence: fences[i]!, expectedVersion: 0, upsert: [line('SKU-1', i + 1)], remove: [] }));
  const outcomes = await Promise.allSettled(writes.map((w) => carts.write(w)));
  assert.is(journal.stats.batches, 1, 'three entities, one batch committed');
  assert.is(journal.stats.isolated, 1, 'the merged write failed as a whole, then each cart went on its own');
  assert.is(journal.stats.merged, 0);
  assert.is(outcomes[0]!.status, 'fulfilled');
  assert.is(outcomes[2]!.status, 'fulfilled');
  assert.is(outcomes[1]!.status, 'rejected');
  assert.instance((outcomes[1] as PromiseRejectedResult).reason, FencedWriteError);
  assert.is(await qtyOf('ja', 'SKU-1'), 1);
  assert.is(await qtyOf('jc', 'SKU-1'), 3);
  assert.is(await qtyOf('jb', 'SKU-1'), undefined, 'nothing of the fenced part was written');
  const [v] = await db.pool.query("SELECT user_id, version FROM carts WHERE user_id IN ('ja','jb','jc') ORDER BY user_id");
  assert.equal((v as { user_id: string; version: number }[]).map((r) => [r.user_id, Number(r.version)]), [['ja', 1], ['jc', 1]]);
});

test('carts written in one turn go as one merged write: new and existing carts, upserts and removals', async () => {
  const journal = new Journal(db.pool);
  const carts = new CartRepository(db.pool, journal);
  const users = ['ma', 'mb', 'mc', 'md'];
  const fences = await Promise.all(users.map((u) => claimEpoch(db.pool, 'cart', u)));
  await carts.write({ userId: 'ma', fence: fences[0]!, expectedVersion: 0, upsert: [line('SKU-1', 1), line('SKU-2', 2)], remove: [] });
  await carts.write({ userId: 'mb', fence: fences[1]!, expectedVersion: 0, upsert: [line('SKU-1', 1)], remove: [] });
  const before = { ...journal.stats };
  await Promise.all([
    carts.write({ userId: 'ma', fence: fences[0]!, expectedVersion: 1, upsert: [line('SKU-1', 7)], remove: ['SKU-2'], boughtOrderId: 'o-ma' }),
    carts.write({ userId: 'mb', fence: fences[1]!, expectedVersion: 1, upsert: [line('SKU-3', 3)], remove: [], boughtOrderId: 'o-mb' }),
    carts.write({ userId: 'mc', fence: fences[2]!, expectedVersion: 0, upsert: [line('SKU-1', 4)], remove: [] }),
    carts.write({ userId: 'md', fence: fences[3]!, expectedVersion: 0, upsert: [], remove: [] }),
  ]);
  assert.is(journal.stats.batches, before.batches + 1);
  assert.is(journal.stats.merged, before.merged + 4, 'all four carts in one merged write');
  assert.is(journal.stats.isolated, before.isolated, 'nothing went part by part');
  assert.is(await qtyOf('ma', 'SKU-1'), 7);
  assert.is(await qtyOf('ma', 'SKU-2'), undefined, 'the removal applied');
  assert.is(await qtyOf('mb', 'SKU-1'), 1, 'a line not in the change stays');
  assert.is(await qtyOf('mb', 'SKU-3'), 3);
  assert.is(await qtyOf('mc', 'SKU-1'), 4);
  const [v] = await db.pool.query("SELECT user_id, version FROM carts WHERE user_id IN ('ma','mb','mc','md') ORDER BY user_id");
  assert.equal((v as { user_id: string; version: number }[]).map((r) => [r.user_id, Number(r.version)]), [['ma', 2], ['mb', 2], ['mc', 1], ['md', 1]]);
  // The paid orders whose units two of the writes took out are recorded with them.
  assert.ok(await carts.boughtApplied('ma', 'o-ma'));
  assert.ok(await carts.boughtApplied('mb', 'o-mb'));
  assert.not.ok(await carts.boughtApplied('ma', 'o-mb'), 'per cart');
});

test('a stale activation and its successor writing the same cart in one batch: the stale one fails, the new one commits', async () => {
  const journal = new Journal(db.pool);
  const carts = new CartRepository(db.pool, journal);
  const stale = await claimEpoch(db.pool, 'cart', 'na');
  await carts.write({ userId: 'na', fence: stale, expectedVersion: 0, upsert: [line('SKU-1', 1)], remove: [] });
  const fresh = await claimEpoch(db.pool, 'cart', 'na');
  const [old, now] = await Promise.allSettled([
    carts.write({ userId: 'na', fence: stale, expectedVersion: 1, upsert: [line('SKU-1', 9)], remove: [] }),
    carts.write({ userId: 'na', fence: fresh, expectedVersion: 1, upsert: [line('SKU-1', 2)], remove: [] }),
  ]);
  assert.instance((old as PromiseRejectedResult).reason, FencedWriteError);
  assert.is(now.status, 'fulfilled');
  assert.is(await qtyOf('na', 'SKU-1'), 2);
});

test('a stale version fails its part only; a later write with the right fence and version commits', async () => {
  const journal = new Journal(db.pool);
  const carts = new CartRepository(db.pool, journal);
  const fa = await claimEpoch(db.pool, 'cart', 'ka');
  const fb = await claimEpoch(db.pool, 'cart', 'kb');
  await carts.write({ userId: 'ka', fence: fa, expectedVersion: 0, upsert: [line('SKU-1', 1)], remove: [] });
  await carts.write({ userId: 'kb', fence: fb, expectedVersion: 0, upsert: [line('SKU-1', 1)], remove: [] });
  const batches = journal.stats.batches;
  const [stale, fresh] = await Promise.allSettled([
    carts.write({ userId: 'ka', fence: fa, expectedVersion: 7, upsert: [line('SKU-2', 5)], remove: [] }),
    carts.write({ userId: 'kb', fence: fb, expectedVersion: 1, upsert: [line('SKU-2', 2)], remove: ['SKU-1'] }),
  ]);
  assert.is(journal.stats.batches, batches + 1);
  assert.instance((stale as PromiseRejectedResult).reason, FencedWriteError);
  assert.is(fresh.status, 'fulfilled');
  assert.is(await qtyOf('ka', 'SKU-2'), undefined);
  assert.is(await qtyOf('kb', 'SKU-2'), 2);
  assert.is(await qtyOf('kb', 'SKU-1'), undefined);
});

test('orders of many entities in one batch, one of them fenced; a part can read values back', async () => {
  const journal = new Journal(db.pool);
  const orders = new OrderRepository(db.pool, undefined, journal);
  const ids = ['o-j1', 'o-j2', 'o-j3', 'o-j4'];
  const fences = await Promise.all(ids.map((id) => orders.claim(id)));
  await orders.claim('o-j3'); // taken over
  const now = Date.now();
  const outcomes = await Promise.allSettled(ids.map((orderId, i) => orders.fencedBy(fences[i]!).create(
    newOrder({ orderId, userId: 'u-j', subtotal: 100, total: 100, reservedUntil: now + 60_000, createdAt: now, updatedAt: now }), 'created')));
  assert.equal(outcomes.map((o) => o.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
  assert.instance((outcomes[2] as PromiseRejectedResult).reason, FencedWriteError);
  const [rows] = await db.pool.query("SELECT order_id FROM orders WHERE user_id = 'u-j' ORDER BY order_id");
  assert.equal((rows as { order_id: string }[]).map((r) => r.order_id), ['o-j1', 'o-j2', 'o-j4']);
  const [ev] = await db.pool.query("SELECT COUNT(*) AS n FROM order_events WHERE order_id = 'o-j3'");
  assert.is(Number((ev as { n: number }[])[0]!.n), 0, 'no timeline row of the fenced order');

  const out = await journal.write([{ sql: 'SET @out_answer = 40 + ?;', params: [2] }], 'echo', ['answer']);
  assert.is(Number(out.answer), 42);
});

test('the simulator\'s charge rides in the order\'s move to charging: recorded together, and a fenced move records no charge', async () => {
  const journal = new Journal(db.pool);
  const orders = new OrderRepository(db.pool, undefined, journal);
  const processor = new SimulatedCardProcessor(db.pool, { latencyMs: 0, declineRate: 0, timeoutMs: 100 }, journal);
  const now = Date.now();
  const order = (orderId: string) => newOrder({ orderId, userId: 'u-c', subtotal: 500, total: 500, reservedUntil: now + 60_000, createdAt: now, updatedAt: now });
  const [fa, fb] = await Promise.all(['o-c1', 'o-c2'].map((id) => orders.claim(id)));
  await orders.fencedBy(fa!).create(order('o-c1'), 'created');
  await orders.fencedBy(fb!).create(order('o-c2'), 'created');
  await orders.claim('o-c2'); // o-c2 taken over: its first activation must write nothing more
  const charging = (id: string) => ({ status: 'charging' as const, paymentKey: `${id}:1`, paymentToken: 'tok_ok', paymentAttempts: 1 });
  const charge = (id: string) => processor.inline({ idempotencyKey: `${id}:1`, orderId: id, amount: 500, currency: 'USD', token: 'tok_ok' });
  const batches = journal.stats.batches;
  const [ok, fenced] = await Promise.allSettled([
    orders.fencedBy(fa!).transitionWith(order('o-c1'), charging('o-c1'), Date.now(), charge('o-c1')),
    orders.fencedBy(fb!).transitionWith(order('o-c2'), charging('o-c2'), Date.now(), charge('o-c2')),
  ]);
  assert.is(journal.stats.batches, batches + 1, 'both moves, with their charges, in one batch');
  assert.is(ok.status, 'fulfilled');
  const outcome = await charge('o-c1').settle((ok as PromiseFulfilledResult<{ outputs: Record<string, unknown> }>).value.outputs);
  assert.equal(outcome, { status: 'approved', paymentId: 'o-c1:1' });
  assert.instance((fenced as PromiseRejectedResult).reason, FencedWriteError);
  const [rows] = await db.pool.query("SELECT o.order_id, o.status, c.outcome FROM orders o LEFT JOIN sim_charges c ON c.order_id = o.order_id WHERE o.order_id IN ('o-c1', 'o-c2') ORDER BY o.order_id");
  assert.equal((rows as { order_id: string; status: string; outcome: string | null }[]).map((r) => [r.order_id, r.status, r.outcome]), [
    ['o-c1', 'charging', 'approved'],
    ['o-c2', 'pending_payment', null],
  ], 'the fenced move recorded neither the move nor the charge');
});

test('a deadlock that rolls a batch back is retried as a whole: every part commits once, none fails on its lost savepoint', async () => {
  await db.pool.query('CREATE TABLE IF NOT EXISTS journal_locks (id INT PRIMARY KEY, v INT NOT NULL)');
  await db.pool.query('DELETE FROM journal_locks');
  await db.pool.query(`INSERT INTO journal_locks (id, v) VALUES ${Array.from({ length: 300 }, (_, i) => `(${i + 1}, 0)`).join(', ')}`);
  const journal = new Journal(db.pool);
  const other = await db.pool.getConnection();
  try {
    // The other transaction locks many rows (so InnoDB picks the batch as the deadlock's
    // victim), then row 2; the batch takes row 1 and waits for row 2; the other asks for row 1.
    await other.query('START TRANSACTION');
    await other.query('UPDATE journal_locks SET v = v + 1 WHERE id BETWEEN 3 AND 300');
    await other.query('UPDATE journal_locks SET v = v + 1 WHERE id = 2');
    const first = journal.write([{ sql: 'UPDATE journal_locks SET v = v + 10 WHERE id = 1;' }], 'part one');
    const second = journal.write([{ sql: 'UPDATE journal_locks SET v = v + 10 WHERE id = 2;' }], 'part two');
    await new Promise((r) => setTimeout(r, 300));
    await other.query('UPDATE journal_locks SET v = v + 1 WHERE id = 1');
    await other.query('COMMIT');
    const outcomes = await Promise.allSettled([first, second]);
    assert.equal(outcomes.map((o) => o.status), ['fulfilled', 'fulfilled'], JSON.stringify(outcomes.map((o) => o.status === 'rejected' ? String(o.reason) : 'ok')));
    const [rows] = await db.pool.query('SELECT id, v FROM journal_locks WHERE id IN (1, 2) ORDER BY id');
    assert.equal((rows as { id: number; v: number }[]).map((r) => Number(r.v)), [11, 11], 'each part applied exactly once, after the other transaction');
  } finally {
    other.release();
  }
});

test('a part that fails in a batch sent together: the batch goes again part by part, every other part applied exactly once', async () => {
  await db.pool.query('CREATE TABLE IF NOT EXISTS journal_counts (id INT PRIMARY KEY, v INT NOT NULL)');
  await db.pool.query('DELETE FROM journal_counts');
  await db.pool.query('INSERT INTO journal_counts (id, v) VALUES (1, 0), (2, 0), (3, 0)');
  const journal = new Journal(db.pool, { isolateForMs: 200 });
  const bump = (id: number) => journal.write([{ sql: 'UPDATE journal_counts SET v = v + 1 WHERE id = ?;', params: [id] }], `count ${id}`);
  const failing = journal.write([
    { sql: 'UPDATE journal_counts SET v = v + 100 WHERE id = 2;' },
    { sql: "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'order_fenced';" },
  ], 'a stale writer');
  const outcomes = await Promise.allSettled([bump(1), failing, bump(3), bump(2)]);
  assert.equal(outcomes.map((o) => o.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
  assert.instance((outcomes[1] as PromiseRejectedResult).reason, FencedWriteError);
  const counts = async () => {
    const [rows] = await db.pool.query('SELECT v FROM journal_counts ORDER BY id');
    return (rows as { v: number }[]).map((r) => Number(r.v));
  };
  assert.equal(await counts(), [1, 1, 1], 'the first try rolled back whole; the second applied each good part once, the failed one not at all');
  assert.equal([journal.stats.together, journal.stats.isolated, journal.stats.batches], [0, 1, 1]);

  // Right after a failure, batches go part by part at once; a while later, together again.
  await Promise.all([bump(1), bump(2)]);
  assert.equal([journal.stats.together, journal.stats.isolated, journal.stats.batches], [0, 1, 2]);
  await new Promise((r) => setTimeout(r, 250));
  await Promise.all([bump(1), bump(2)]);
  assert.equal([journal.stats.together, journal.stats.batches], [1, 3]);
  assert.equal(await counts(), [3, 3, 1]);
});

test('a batch of one part that fails reports its own error at the first try', async () => {
  const journal = new Journal(db.pool);
  const fence = await claimEpoch(db.pool, 'cart', 'la');
  await claimEpoch(db.pool, 'cart', 'la');
  const carts = new CartRepository(db.pool, journal);
  const err = await carts.write({ userId: 'la', fence, expectedVersion: 0, upsert: [line('SKU-1', 1)], remove: [] }).then(() => undefined, (e: unknown) => e);
  assert.instance(err, FencedWriteError);
  assert.equal([journal.stats.isolated, journal.stats.partFailures], [0, 1]);
  assert.is(await qtyOf('la', 'SKU-1'), undefined);
});

test.run();
