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

    // Claimed, nothing recorded (an abandon's activation, say): the order is placed, under the next epoch.
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
    await new OrderRepository(pool).claimingOnCreate(resent).create({
      orderId: resent, userId: u.userId, status: 'pending_payment', version: 1, source: 'items',
      lines: [{ sku: 'SKU-00016', qty: 3, price: 1000, title: 't', reservationId, warehouseId: 'wh-east', parts: [{ reservationId, warehouseId: 'wh-east', qty: 3 }] }],
      currency: 'USD', subtotal: 3000, discount: 0, total: 3457, couponCode: null, address: null, reservedUntil: now + 600_000,
      paymentKey: null, paymentToken: null, paymentAttempts: 0, paymentId: null, createdAt: now, paidAt: null, updatedAt: now,
      shipping: 457, pointsUsed: 0, pointsEarned: 0, couponKind: null, deliveryDays: null, carrier: null, trackingNumber: null,
      shippedAt: null, deliveredAt: null, refundTarget: null, refundedAt: null,
    }, 'recorded by the first attempt');
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
  // A node that dies right after the provider approves; it takes every shard from n2.
  await startNode('dies', { CHECKOUT_FAILPOINT: 'after_charge' });
  await nodes.get('n2')!.kill('SIGTERM');
  nodes.delete('n2');
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

test.run();
