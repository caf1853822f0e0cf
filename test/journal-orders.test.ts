// Orders written together by the node's journal against the real MariaDB: a batch of new
// orders, or of payments, goes as one statement per kind (journal.ts `Merge`) and must
// leave exactly what each order's own statements leave; where one order's part would fail
// on its own, the batch goes again part by part and only that order fails.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DirectWriter, Journal, type Writer } from '../stores/mysql/index.ts';
import { OrderRefusedError, OrderRepository, type Transition } from '../stores/mysql/orders.ts';
import { SimulatedCardProcessor } from '../actors/payment/index.ts';
import { FencedWriteError } from '../stores/mysql/writes.ts';
import { freshDatabase } from './support/harness.ts';
import { newOrder } from './support/orders.ts';

const db = freshDatabase(test, 'journal_orders');

type Row = Record<string, unknown>;

async function addUsers(ids: string[]): Promise<void> {
  await db.pool.query('INSERT INTO users (user_id, email, name, password_hash, password_salt, password_params) VALUES ?',
    [ids.map((id) => [id, `${id}@example.test`, id, 'h', 's', '{}'])]);
}

/** What the database holds of `orderIds`, with `prefix` taken off every id so two runs can be compared. */
async function stateOf(prefix: string, orderIds: string[], userIds: string[]): Promise<unknown> {
  const strip = (v: unknown): unknown => {
    if (typeof v === 'string') return v.split(prefix).join('');
    return v !== null && typeof v === 'object' ? JSON.parse(JSON.stringify(v).split(prefix).join('')) : v;
  };
  const rows = async (sql: string, params: unknown[]) => ((await db.pool.query(sql, params))[0] as Row[])
    .map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, strip(v)])));
  return {
    orders: await rows('SELECT * FROM orders WHERE order_id IN (?) ORDER BY order_id', [orderIds]),
    events: await rows('SELECT * FROM order_events WHERE order_id IN (?) ORDER BY order_id, seq', [orderIds]),
    charges: await rows('SELECT idempotency_key, order_id, amount, currency, outcome, reason FROM sim_charges WHERE order_id IN (?) ORDER BY order_id', [orderIds]),
    points: await rows('SELECT user_id, reward_points FROM users WHERE user_id IN (?) ORDER BY user_id', [userIds]),
    outbox: await rows(`SELECT subject, payload FROM outbox WHERE subject LIKE ? ORDER BY id`, [`%${prefix}%`]),
    epochs: await rows("SELECT entity_id, epoch FROM entity_epochs WHERE entity_type = 'checkout' AND entity_id IN (?) ORDER BY entity_id", [orderIds]),
    cartCleanups: await rows('SELECT * FROM cart_cleanups WHERE order_id IN (?) ORDER BY order_id', [orderIds]),
  };
}

/**
 * Six new orders of three users (two each), then each paid with a charge known up front,
 * points and an ORDERS event, as the checkout saga pays.
 */
async function buyAndPay(writer: Writer, prefix: string): Promise<{ orderIds: string[]; userIds: string[] }> {
  // Through the journal, every write of a step at once; alone, one after another.
  const each = async <T>(items: T[], write: (item: T, index: number) => Promise<unknown>) => {
    if (writer instanceof Journal) await Promise.all(items.map(write));
    else for (const [i, item] of items.entries()) await write(item, i);
  };
  const orders = new OrderRepository(db.pool, undefined, writer);
  const processor = new SimulatedCardProcessor(db.pool, { latencyMs: 0, declineRate: 0, timeoutMs: 100 }, writer);
  const userIds = [0, 1, 2].map((u) => `${prefix}u${u}`);
  await addUsers(userIds);
  const now = 1_800_000_000_000;
  const created = Array.from({ length: 6 }, (_, i) => newOrder({
    orderId: `${prefix}o${i}`, userId: userIds[i % 3]!, subtotal: 100 * (i + 1), total: 100 * (i + 1), reservedUntil: now + 60_000, createdAt: now, updatedAt: now,
    lines: [{ sku: 'SKU-1', qty: 1, price: 100 * (i + 1), title: 'one', reservationId: `r${i}`, warehouseId: 'wh' }],
    address: { addressId: 'a', line1: '1 Road', city: 'Town', region: 'R', country: 'US', postalCode: '1', cluster: 'c' },
  }));
  await each(created, (o) => orders.claimingOnCreate(o.orderId).create(o, 'created', { maxOpenOrders: 3 }));
  await each(created, (o, i) => {
    const key = `${o.orderId}:1`;
    const charge = processor.inline({ idempotencyKey: key, orderId: o.orderId, amount: o.total, currency: 'USD', token: 'tok_ok' }).expected!;
    const charging: Transition = { status: 'charging', detail: 'payment attempt 1', paymentKey: key, paymentToken: 'tok_ok', paymentAttempts: 1 };
    const paid: Transition = {
      status: 'paid', detail: 'paid', paymentId: key, paidAt: now, rewardPoints: o.total / 100, pointsEarned: o.total / 100,
      outbox: { subject: `test.orders.placed.${o.orderId}`, payload: { orderId: o.orderId, total: o.total } },
      // Half of them cart orders, whose units are to leave the cart.
      ...(i % 2 === 0 ? { cartCleanup: { paidAt: now, firstAt: now + 5000 } } : {}),
    };
    return orders.claimingOnCreate(o.orderId).transitionTwice(o, charging, { statements: charge.statements, outputs: [], ...(charge.merge ? { merge: charge.merge } : {}) }, paid, now);
  });
  return { orderIds: created.map((o) => o.orderId), userIds };
}

test('new orders and their payments merged in one write each leave exactly what each order written alone leaves', async () => {
  const journal = new Journal(db.pool);
  const merged = await buyAndPay(journal, 'mrg-');
  assert.is(journal.stats.merged, 12, 'six creates in one merged write, six payments in another');
  assert.equal([journal.stats.together, journal.stats.isolated, journal.stats.partFailures], [2, 0, 0]);
  const alone = await buyAndPay(new DirectWriter(db.pool), 'one-');
  const a = await stateOf('mrg-', merged.orderIds, merged.userIds);
  const b = await stateOf('one-', alone.orderIds, alone.userIds);
  assert.equal(a, b);
  // And what that state is: paid at version 3 with two payment steps after creation.
  const s = a as { orders: Row[]; events: Row[]; points: Row[]; outbox: Row[]; charges: Row[] };
  assert.equal(s.orders.map((o) => [o.status, Number(o.version)]), Array.from({ length: 6 }, () => ['paid', 3]));
  assert.is(s.events.length, 18);
  assert.equal(s.points.map((p) => Number(p.reward_points)), [1 + 4, 2 + 5, 3 + 6], 'each user\'s points from both of its orders');
  assert.is(s.outbox.length, 6);
  assert.is(s.charges.length, 6);
  assert.equal((a as { cartCleanups: Row[] }).cartCleanups.map((c) => [c.order_id, Number(c.attempts)]), [['o0', 0], ['o2', 0], ['o4', 0]], 'the cart orders\' clean-ups');
});

test('a paid cart order\'s clean-up: the sweeper claims what it read, and the first send takes it only while unclaimed', async () => {
  const orders = new OrderRepository(db.pool);
  await db.pool.query('INSERT INTO cart_cleanups (order_id, paid_at, next_at) VALUES ?', [[['cc-1', 1, 1], ['cc-2', 1, 1]]]);
  // The sweeper read cc-1 unclaimed and claims it: the first send's late fallback must not run.
  assert.ok(await orders.claimCartCleanup('cc-1', 0, 10));
  assert.not.ok(await orders.takeUnclaimedCartCleanup('cc-1'), 'claimed: no plain removal');
  assert.not.ok(await orders.claimCartCleanup('cc-1', 0, 10), 'a second sweeper round that read it before the claim sends nothing');
  // The first send took cc-2 (and sends the plain removal): the sweeper's claim finds nothing.
  assert.ok(await orders.takeUnclaimedCartCleanup('cc-2'));
  assert.not.ok(await orders.claimCartCleanup('cc-2', 0, 10));
  await orders.cartCleanedUp('cc-1');
  assert.equal((await db.pool.query('SELECT order_id FROM cart_cleanups WHERE order_id LIKE ?', ['cc-%']))[0], []);
});

test('in merged batches, the order over its user\'s open-order limit, the fenced one and the one whose charge was recorded otherwise fail alone', async () => {
  const journal = new Journal(db.pool, { isolateForMs: 0 });
  const orders = new OrderRepository(db.pool, undefined, journal);
  await addUsers(['lim-a', 'lim-b', 'lim-c']);
  const now = Date.now();
  const order = (orderId: string, userId: string) => newOrder({ orderId, userId, subtotal: 100, total: 100, reservedUntil: now + 60_000, createdAt: now, updatedAt: now });
  const create = (orderId: string, userId: string, maxOpenOrders: number) => orders.claimingOnCreate(orderId).create(order(orderId, userId), 'created', { maxOpenOrders });
  const refusal = (r: PromiseSettledResult<unknown>) => (r.status === 'rejected' && r.reason instanceof OrderRefusedError ? r.reason.code : r.status);
  // Each batch below holds one part that fails, so that no other failure hides it.
  // lim-b may hold two open orders and holds one: of its two new ones, the second is refused.
  await create('lim-o0', 'lim-b', 2);
  const isolated = journal.stats.isolated;
  const first = await Promise.allSettled([create('lim-o1', 'lim-a', 3), create('lim-o2', 'lim-b', 2), create('lim-o3', 'lim-b', 2)]);
  assert.equal(first.map(refusal), ['fulfilled', 'fulfilled', 'too_many_open_orders']);
  // lim-c may hold one and holds none: the same.
  const second = await Promise.allSettled([create('lim-o5', 'lim-c', 1), create('lim-o6', 'lim-c', 1), create('lim-o4', 'lim-a', 3)]);
  assert.equal(second.map(refusal), ['fulfilled', 'too_many_open_orders', 'fulfilled']);

  const processor = new SimulatedCardProcessor(db.pool, { latencyMs: 0, declineRate: 0, timeoutMs: 100 }, journal);
  const pay = (repo: OrderRepository, orderId: string, userId: string) => {
    const key = `${orderId}:1`;
    const charge = processor.inline({ idempotencyKey: key, orderId, amount: 100, currency: 'USD', token: 'tok_ok' }).expected!;
    return repo.transitionTwice(order(orderId, userId), { status: 'charging', paymentKey: key, paymentAttempts: 1 },
      { statements: charge.statements, outputs: [], ...(charge.merge ? { merge: charge.merge } : {}) },
      { status: 'paid', paymentId: key, paidAt: now, rewardPoints: 1 }, now);
  };
  // lim-o1's key already holds a declined charge.
  await db.pool.query("INSERT INTO sim_charges (idempotency_key, order_id, amount, currency, outcome, reason, created_at) VALUES ('lim-o1:1', 'lim-o1', 100, 'USD', 'declined', 'card_declined', 1)");
  const third = await Promise.allSettled([pay(orders.claimingOnCreate('lim-o1'), 'lim-o1', 'lim-a'), pay(orders.claimingOnCreate('lim-o2'), 'lim-o2', 'lim-b')]);
  assert.equal(third.map((p) => p.status), ['rejected', 'fulfilled']);
  assert.is(((third[0] as PromiseRejectedResult).reason as { sqlMessage?: string }).sqlMessage, 'charge_unexpected');
  // lim-o4 is taken over by another activation.
  const stale = orders.claimingOnCreate('lim-o4');
  await orders.claim('lim-o4');
  const fourth = await Promise.allSettled([pay(stale, 'lim-o4', 'lim-a'), pay(orders.claimingOnCreate('lim-o5'), 'lim-o5', 'lim-c')]);
  assert.equal(fourth.map((p) => p.status), ['rejected', 'fulfilled']);
  assert.instance((fourth[0] as PromiseRejectedResult).reason, FencedWriteError);
  assert.is(journal.stats.isolated, isolated + 4, 'each merged write failed as a whole and went again part by part');

  const [rows] = await db.pool.query("SELECT order_id, status FROM orders WHERE order_id LIKE 'lim-%' ORDER BY order_id");
  assert.equal((rows as Row[]).map((r) => [r.order_id, r.status]), [
    ['lim-o0', 'pending_payment'], ['lim-o1', 'pending_payment'], ['lim-o2', 'paid'], ['lim-o4', 'pending_payment'], ['lim-o5', 'paid'],
  ]);
  const [pts] = await db.pool.query("SELECT user_id, reward_points FROM users WHERE user_id LIKE 'lim-%' ORDER BY user_id");
  assert.equal((pts as Row[]).map((r) => Number(r.reward_points)), [0, 1, 1], 'points only for the orders that were paid');
  const [charges] = await db.pool.query("SELECT idempotency_key, outcome FROM sim_charges WHERE order_id LIKE 'lim-%' ORDER BY idempotency_key");
  assert.equal((charges as Row[]).map((r) => [r.idempotency_key, r.outcome]), [['lim-o1:1', 'declined'], ['lim-o2:1', 'approved'], ['lim-o5:1', 'approved']]);
});

test.run();
