// The checkout saga across process deaths: unpaid orders expire and give their stock back,
// also when the node running the saga was killed, and a node killed between the charge and
// the commit leaves an order that another node finishes: paid exactly once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { adminToken, call, signupBuyer as signup, startStack, type Stack } from './support/gateway.ts';
import { eventually, natsConnection, startApp, type Proc } from './support/harness.ts';
import { ClusterClient } from '../cluster/index.ts';
import { InventoryApi } from '../actors/inventory/index.ts';
import { CheckoutApi, newOrderId } from '../actors/checkout/index.ts';
import { OrderRepository } from '../stores/mysql/orders.ts';
import { createPool } from '../stores/mysql/index.ts';
import { newOrder } from './support/orders.ts';

let s: Stack;
type User = Awaited<ReturnType<typeof signup>>;
const nodes = new Map<string, Proc>();

async function setStock(sku: string, onHand: number): Promise<void> {
  const r = await call(s.url, 'PUT', `/v1/admin/inventory/${sku}`, { token: adminToken, body: { warehouses: [{ warehouseId: 'wh-east', onHand }] } });
  assert.is(r.status, 200, JSON.stringify(r.body));
}

const stock = async (sku: string) => (await call(s.url, 'GET', `/v1/inventory/${sku}`)).body as { available: number; reserved: number; onHand: number };
const checkout = (u: User, body: unknown) => call(s.url, 'POST', '/v1/checkout', { token: u.token, body });
const pay = (u: User, orderId: string, token: string) => call(s.url, 'POST', `/v1/orders/${orderId}/pay`, { token: u.token, body: { paymentMethod: { type: 'card', token } } });
const charges = async (orderId: string) => Number((await s.sql<{ n: number }>('SELECT COUNT(*) AS n FROM sim_charges WHERE order_id = ?', [orderId]))[0]!.n);
const orderStatus = async (u: User, orderId: string) => (await call(s.url, 'GET', `/v1/orders/${orderId}`, { token: u.token })).body.status as string;
const nodeEnv = { RESERVATION_TTL_MS: '3000', PAYMENT_LATENCY_MS: '5', LOOSE_RESERVATION_MS: '2000' };

async function startNode(name: string, extra: Record<string, string> = {}): Promise<void> {
  nodes.set(name, await startApp(s.env.env, 'node', { NODE_ID: name, ...nodeEnv, ...extra }));
}

/** Starts node `name` and stops `from` (SIGTERM): `name` then serves every shard. */
async function takeOver(name: string, from: string, extra: Record<string, string> = {}): Promise<void> {
  await startNode(name, extra);
  await nodes.get(from)!.kill('SIGTERM');
  nodes.delete(from);
}

test.before(async () => {
  s = await startStack('checkoutfail', { nodeEnv, gatewayEnv: { RATE_LIMIT_AUTH_PER_MIN: '100000' } });
  nodes.set('n1', s.nodes[0]!);
});

test.after(async () => {
  await Promise.all([...nodes.values()].map((n) => n.kill('SIGKILL')));
  await s.stop();
});

test('an unpaid order expires and a cancelled one is released: the stock comes back', async () => {
  const u = await signup(s.url);
  await setStock('SKU-00012', 4);
  const expiring = await checkout(u, { items: [{ sku: 'SKU-00012', qty: 3 }] });
  assert.is(expiring.status, 201);
  assert.is((await stock('SKU-00012')).available, 1);
  // RESERVATION_TTL_MS is 3 s here; the sweeper runs every second.
  await eventually(async () => (await stock('SKU-00012')).available === 4, 8000, 200);
  const expired = await call(s.url, 'GET', `/v1/orders/${expiring.body.orderId}`, { token: u.token });
  assert.is(expired.body.status, 'expired');
  // Its stock went back with the expiry: nothing is left marked for the sweeper.
  assert.equal(await s.sql('SELECT stock_return_pending AS p FROM orders WHERE order_id = ?', [expiring.body.orderId]), [{ p: 0 }]);
  const late = await pay(u, expiring.body.orderId, 'tok_ok');
  assert.is(late.status, 409);
  assert.is(await charges(expiring.body.orderId), 0);

  const cancelling = await checkout(u, { items: [{ sku: 'SKU-00012', qty: 2 }] });
  assert.is((await stock('SKU-00012')).available, 2);
  const cancelled = await call(s.url, 'POST', `/v1/orders/${cancelling.body.orderId}/cancel`, { token: u.token });
  assert.equal([cancelled.status, cancelled.body.status], [200, 'cancelled']);
  assert.is((await stock('SKU-00012')).available, 4);
});

test('reservations no open order holds are released: a closed order whose release was lost, an order never recorded', async () => {
  const u = await signup(s.url);
  await setStock('SKU-00014', 10);
  // A cancelled order whose release was lost (MariaDB went away after the order moved):
  // the row says cancelled, the reservation is still active.
  const open = await checkout(u, { items: [{ sku: 'SKU-00014', qty: 2 }] });
  const lost = await checkout(u, { items: [{ sku: 'SKU-00014', qty: 3 }] });
  assert.equal([open.status, lost.status], [201, 201]);
  await s.sql("UPDATE orders SET status = 'cancelled' WHERE order_id = ?", [lost.body.orderId]);
  // A checkout that reserved and then gave up without recording its order (an unknown
  // outcome nobody retried): the reservation carries an order id with no row.
  const nc = await natsConnection();
  try {
    const inventory = new InventoryApi(new ClusterClient(nc, { cluster: s.env.cluster, shards: Number(s.env.env.SHARDS ?? 64), deadlineMs: 5000, inFlightLimit: 100 }));
    const ghost = `o${'7'.repeat(32)}`;
    const r = await inventory.reserve('SKU-00014', { reservationId: `${ghost}:SKU-00014`, qty: 4, ttlMs: 600_000, owner: ghost });
    assert.is(r.status, 'reserved');
    assert.is((await stock('SKU-00014')).available, 1);
    const paid = await pay(u, open.body.orderId, 'tok_ok');
    assert.equal([paid.status, paid.body.status], [200, 'paid'], JSON.stringify(paid.body));
    // LOOSE_RESERVATION_MS is 2 s here: both loose holds come back; the paid two stay sold.
    await eventually(async () => (await stock('SKU-00014')).available === 8, 20_000, 250);
    assert.equal(await stock('SKU-00014'), { ...(await stock('SKU-00014')), onHand: 8, reserved: 0 });
  } finally {
    await nc.close();
  }
});

test('units committed for an order that then closed unpaid, their return lost, go back on the shelf', async () => {
  const u = await signup(s.url);
  await setStock('SKU-00015', 6);
  const o = await checkout(u, { items: [{ sku: 'SKU-00015', qty: 2 }] });
  assert.is(o.status, 201);
  const nc = await natsConnection();
  try {
    // The stock committed ahead of a payment that was never recorded, then the order
    // expired and the node died (or the inventory did not answer) before the units went back.
    const inventory = new InventoryApi(new ClusterClient(nc, { cluster: s.env.cluster, shards: Number(s.env.env.SHARDS ?? 64), deadlineMs: 5000, inFlightLimit: 100 }));
    assert.is((await inventory.commit('SKU-00015', `${o.body.orderId}:SKU-00015`)).status, 'committed');
  } finally {
    await nc.close();
  }
  // Closed two hours ago, its return marked pending (as the close does) and never finished.
  await s.sql("UPDATE orders SET status = 'expired', stock_return_pending = 1, updated_at = ? WHERE order_id = ?", [Date.now() - 2 * 3_600_000, o.body.orderId]);
  assert.equal(await stock('SKU-00015'), { ...(await stock('SKU-00015')), onHand: 4, reserved: 0, available: 4 });
  await eventually(async () => (await stock('SKU-00015')).onHand === 6, 20_000, 250);
  assert.equal(await stock('SKU-00015'), { ...(await stock('SKU-00015')), onHand: 6, reserved: 0, available: 6 });
  await eventually(async () => Number((await s.sql<{ p: number }>('SELECT stock_return_pending AS p FROM orders WHERE order_id = ?', [o.body.orderId]))[0]!.p) === 0, 5000, 100);
});

test('a minted order id another activation claimed first: the checkout claims it properly, answers the stored order or places it once', async () => {
  const u = await signup(s.url);
  await setStock('SKU-00016', 10);
  const nc = await natsConnection();
  const pool = createPool(s.env.mysqlUrl, { connectionLimit: 1 });
  try {
    const client = new ClusterClient(nc, { cluster: s.env.cluster, shards: Number(s.env.env.SHARDS ?? 64), deadlineMs: 8000, inFlightLimit: 100 });
    const checkouts = new CheckoutApi(client);
    const inventory = new InventoryApi(client);
    const epochOf = async (id: string) => (await s.sql<{ epoch: number }>("SELECT epoch FROM entity_epochs WHERE entity_type = 'checkout' AND entity_id = ?", [id]))[0]?.epoch;

    // Claimed, nothing recorded (an abandon's activation, say): the entity claims properly and
    // asks for a resend, which it then places under the next epoch (the client resends it).
    const claimed = newOrderId();
    await new OrderRepository(pool).claim(claimed);
    const placed = await checkouts.start(claimed, { userId: u.userId, items: [{ sku: 'SKU-00016', qty: 2 }], fresh: true });
    assert.equal([placed.orderId, placed.status], [claimed, 'pending_payment']);
    assert.is(await epochOf(claimed), 2);
    assert.is((await stock('SKU-00016')).reserved, 2);
    // Its writes hold their fence: the pay goes through.
    const paid = await pay(u, claimed, 'tok_ok');
    assert.equal([paid.status, paid.body.status], [200, 'paid'], JSON.stringify(paid.body));

    // Recorded by the first attempt of the same checkout elsewhere: that order is the answer,
    // its stock held once.
    const resent = newOrderId();
    const reservationId = `${resent}:SKU-00016`;
    assert.is((await inventory.reserve('SKU-00016', { reservationId, qty: 3, ttlMs: 600_000, owner: resent })).status, 'reserved');
    const now = Date.now();
    await new OrderRepository(pool).claimingOnCreate(resent).create(newOrder({
      orderId: resent, userId: u.userId,
      lines: [{ sku: 'SKU-00016', qty: 3, price: 1000, title: 't', reservationId, warehouseId: 'wh-east', parts: [{ reservationId, warehouseId: 'wh-east', qty: 3 }] }],
      subtotal: 3000, total: 3457, shipping: 457, reservedUntil: now + 600_000, createdAt: now, updatedAt: now,
    }), 'recorded by the first attempt');
    const answered = await checkouts.start(resent, { userId: u.userId, items: [{ sku: 'SKU-00016', qty: 3 }], fresh: true });
    assert.equal([answered.orderId, answered.total], [resent, 3457]);
    assert.is(await epochOf(resent), 2);
    assert.is((await stock('SKU-00016')).reserved, 3);
    assert.is(Number((await s.sql<{ n: number }>('SELECT COUNT(*) AS n FROM orders WHERE order_id = ?', [resent]))[0]!.n), 1);
  } finally {
    await pool.end();
    await nc.close();
  }
});

test('kill -9 of the node running a saga between reservation and payment: the order expires and the stock comes back', async () => {
  const u = await signup(s.url);
  await setStock('SKU-00020', 5);
  const order = await checkout(u, { items: [{ sku: 'SKU-00020', qty: 2 }] });
  assert.is(order.status, 201);
  await nodes.get('n1')!.kill('SIGKILL');
  nodes.delete('n1');
  await startNode('n2');
  await eventually(async () => (await stock('SKU-00020')).available === 5, 15_000, 250);
  assert.is(await orderStatus(u, order.body.orderId), 'expired');
  assert.is(await charges(order.body.orderId), 0);
});

test('kill -9 between the charge and the commit: another node finishes the order, paid exactly once', async () => {
  const u = await signup(s.url);
  await setStock('SKU-00021', 5);
  // A node that dies right after the provider approves; it takes every shard from n2. Its
  // simulator answers after the charge, as a real processor does, so the order is in
  // `charging` with the charge made and the stock not yet committed when it dies.
  await takeOver('dies', 'n2', { CHECKOUT_FAILPOINT: 'after_charge', PAYMENT_OUTCOME_UP_FRONT: '0' });
  const order = await checkout(u, { items: [{ sku: 'SKU-00021', qty: 2 }] });
  assert.is(order.status, 201);
  const paying = pay(u, order.body.orderId, 'tok_ok');
  await nodes.get('dies')!.exited;
  nodes.delete('dies');
  await startNode('n3');
  const first = await paying;
  assert.ok(first.status === 200 || first.status === 503, `pay answered ${first.status} ${JSON.stringify(first.body)}`);
  await eventually(async () => (await orderStatus(u, order.body.orderId)) === 'paid', 20_000, 250);
  assert.is(await charges(order.body.orderId), 1, 'charged once');
  const after = await stock('SKU-00021');
  assert.equal([after.onHand, after.reserved, after.available], [3, 0, 3]);
  const again = await pay(u, order.body.orderId, 'tok_ok');
  assert.equal([again.status, again.body.status], [200, 'paid']);
  assert.is(await charges(order.body.orderId), 1, 'still once');
});

test('kill -9 between the stock commit and the payment\'s write: the resent pay pays once; left alone, the order expires and its units go back', async () => {
  const u = await signup(s.url);
  await setStock('SKU-00022', 5);
  // The charge's outcome is known up front, so the stock is committed before the one write
  // that records the charge and the payment; this node dies between the two. Its orders
  // hold their stock for a minute, so the gateway's resend comes well within the hold.
  await takeOver('dies2', 'n3', { CHECKOUT_FAILPOINT: 'after_stock', RESERVATION_TTL_MS: '60000' });
  const resent = await checkout(u, { items: [{ sku: 'SKU-00022', qty: 2 }] });
  assert.is(resent.status, 201);
  const paying = pay(u, resent.body.orderId, 'tok_ok');
  await nodes.get('dies2')!.exited;
  nodes.delete('dies2');
  await startNode('n4');
  // The gateway resends the pay (idempotent) to the next owner: committing again is a no-op.
  const first = await paying;
  assert.ok(first.status === 200 || first.status === 503, `pay answered ${first.status} ${JSON.stringify(first.body)}`);
  if (first.status === 503) assert.is((await pay(u, resent.body.orderId, 'tok_ok')).status, 200);
  assert.is(await orderStatus(u, resent.body.orderId), 'paid');
  assert.is(await charges(resent.body.orderId), 1);
  assert.equal(await stock('SKU-00022'), { ...(await stock('SKU-00022')), onHand: 3, reserved: 0, available: 3 });

  // The same death with nobody resending the pay: the order keeps its committed unit,
  // uncharged, until it expires (RESERVATION_TTL_MS is 3 s here); then the unit goes back.
  await takeOver('dies3', 'n4', { CHECKOUT_FAILPOINT: 'after_stock' });
  const left = await checkout(u, { items: [{ sku: 'SKU-00022', qty: 1 }] });
  assert.is(left.status, 201);
  const nc = await natsConnection();
  try {
    const checkouts = new CheckoutApi(new ClusterClient(nc, { cluster: s.env.cluster, shards: Number(s.env.env.SHARDS ?? 64), deadlineMs: 3000, inFlightLimit: 100 }));
    const once = await checkouts.pay(left.body.orderId, u.userId, 'tok_ok', { retry: false, deadlineMs: 3000 }).then(() => 'answered', (err: unknown) => String(err));
    assert.is.not(once, 'answered');
  } finally {
    await nc.close();
  }
  await nodes.get('dies3')!.exited;
  nodes.delete('dies3');
  const held = async () => (await s.sql<{ status: string }>('SELECT status FROM reservations WHERE owner = ?', [left.body.orderId])).map((r) => r.status);
  assert.equal(await held(), ['committed']);
  await startNode('n5');
  await eventually(async () => (await orderStatus(u, left.body.orderId)) === 'expired', 20_000, 250);
  await eventually(async () => {
    const st = await stock('SKU-00022');
    return st.onHand === 3 && st.reserved === 0 && st.available === 3;
  }, 10_000, 250);
  assert.equal(await held(), ['released']);
  assert.is(await charges(left.body.orderId), 0);
});

test('a refund days after the payment puts the units back, though the SKU\'s entity no longer holds that reservation', async () => {
  const u = await signup(s.url);
  await setStock('SKU-00023', 5);
  const order = await checkout(u, { items: [{ sku: 'SKU-00023', qty: 2 }] });
  assert.is((await pay(u, order.body.orderId, 'tok_ok')).status, 200);
  assert.equal(await stock('SKU-00023'), { ...(await stock('SKU-00023')), onHand: 3, reserved: 0, available: 3 });
  // Two days pass: the SKU's entity keeps finished reservations for a day (the dedup
  // window), so a fresh activation no longer loads this one.
  await s.sql('UPDATE reservations SET updated_at = NOW(3) - INTERVAL 2 DAY WHERE owner = ?', [order.body.orderId]);
  await nodes.get('n5')!.kill('SIGTERM');
  nodes.delete('n5');
  await startNode('n6');
  const refunded = await call(s.url, 'POST', `/v1/orders/${order.body.orderId}/refund`, { token: u.token });
  assert.equal([refunded.status, refunded.body.status], [200, 'refunded'], JSON.stringify(refunded.body));
  assert.equal(await stock('SKU-00023'), { ...(await stock('SKU-00023')), onHand: 5, reserved: 0, available: 5 });
});

// Charged step by step (the outcome is not known up front), then a later step is refused as
// not applied: the pay did something, so the client must hear "retry with the same key",
// never the 503 that says nothing was done.
const afterCharge = [
  { failpoint: 'stock_unavailable', what: 'a stock commit', sku: 'SKU-00024', node: 'refusing', next: 'n7' },
  { failpoint: 'paid_unavailable', what: 'the write that records the order paid', sku: 'SKU-00025', node: 'refusing2', next: 'n8' },
];
let lastNode = 'n6';
for (const c of afterCharge) {
  test(`${c.what} refused after the charge answers payment_pending, not "nothing applied"; the retry pays once`, async () => {
    const u = await signup(s.url);
    await setStock(c.sku, 5);
    await takeOver(c.node, lastNode, { CHECKOUT_FAILPOINT: c.failpoint, PAYMENT_OUTCOME_UP_FRONT: '0' });
    const order = await checkout(u, { items: [{ sku: c.sku, qty: 2 }] });
    assert.is(order.status, 201);
    const payOnce = () => call(s.url, 'POST', `/v1/orders/${order.body.orderId}/pay`, {
      token: u.token, headers: { 'Idempotency-Key': `pay-${order.body.orderId}` }, body: { paymentMethod: { type: 'card', token: 'tok_ok' } },
    });
    const refused = await payOnce();
    assert.equal([refused.status, refused.body.error?.code], [503, 'payment_pending'], JSON.stringify(refused.body));
    assert.is(await charges(order.body.orderId), 1, 'the card was charged');
    await takeOver(c.next, c.node);
    lastNode = c.next;
    const retried = await payOnce();
    assert.equal([retried.status, retried.body.status], [200, 'paid'], JSON.stringify(retried.body));
    assert.is(await charges(order.body.orderId), 1, 'charged once');
    assert.equal(await stock(c.sku), { ...(await stock(c.sku)), onHand: 3, reserved: 0, available: 3 });
  });
}

test('a node killed right after it recorded a cart order paid: another node takes the bought units out of the cart', async () => {
  const u = await signup(s.url);
  await setStock('SKU-00026', 5);
  const cartQty = async () => ((await call(s.url, 'GET', '/v1/cart', { token: u.token })).body.items as { sku: string; qty: number }[]).find((i) => i.sku === 'SKU-00026')?.qty;
  assert.is((await call(s.url, 'POST', '/v1/cart/items', { token: u.token, body: { sku: 'SKU-00026', qty: 2 } })).status, 200);
  // The payment is one write here, and this node dies right after it, before the cart is
  // told: the removal's only record is the one the payment stored.
  await startNode('dies4', { CHECKOUT_FAILPOINT: 'after_charge' });
  for (const [name, proc] of [...nodes]) {
    if (name === 'dies4') continue;
    await proc.kill('SIGTERM');
    nodes.delete(name);
  }
  const order = await checkout(u, {});
  assert.is(order.status, 201, JSON.stringify(order.body));
  const paying = pay(u, order.body.orderId, 'tok_ok');
  await nodes.get('dies4')!.exited;
  nodes.delete('dies4');
  await startNode('n9');
  await paying;
  await eventually(async () => (await orderStatus(u, order.body.orderId)) === 'paid', 20_000, 250);
  // Left in the cart, the next checkout would buy them again.
  await eventually(async () => (await cartQty()) === undefined, 20_000, 250);
  // (Its delete follows the cart's answer without being waited for.)
  await eventually(async () => (await s.sql('SELECT order_id FROM cart_cleanups WHERE order_id = ?', [order.body.orderId])).length === 0, 5000, 100);
  assert.is(await charges(order.body.orderId), 1);
});

test.run();
