// Checkout, payment and order history over HTTP against node and gateway processes on the
// real NATS, Redis and MariaDB: the last units under a crowd, declines, provider
// timeouts, cancel, idempotency keys, and who sees which orders.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { adminToken, call, signupBuyer as signup, startStack, type Stack } from './support/gateway.ts';
import { eventually } from './support/harness.ts';

let s: Stack;
type User = Awaited<ReturnType<typeof signup>>;

async function setStock(sku: string, onHand: number): Promise<void> {
  const r = await call(s.url, 'PUT', `/v1/admin/inventory/${sku}`, { token: adminToken, body: { warehouses: [{ warehouseId: 'wh-east', onHand }] } });
  assert.is(r.status, 200, JSON.stringify(r.body));
}

const stock = async (sku: string) => (await call(s.url, 'GET', `/v1/inventory/${sku}`)).body as { available: number; reserved: number; onHand: number };
const checkout = (u: User, body: unknown, headers?: Record<string, string>) => call(s.url, 'POST', '/v1/checkout', { token: u.token, body, ...(headers ? { headers } : {}) });
const pay = (u: User, orderId: string, token: string, headers?: Record<string, string>) =>
  call(s.url, 'POST', `/v1/orders/${orderId}/pay`, { token: u.token, body: { paymentMethod: { type: 'card', token } }, ...(headers ? { headers } : {}) });
const charges = async (orderId: string) => Number((await s.sql<{ n: number }>('SELECT COUNT(*) AS n FROM sim_charges WHERE order_id = ?', [orderId]))[0]!.n);

test.before(async () => {
  s = await startStack('checkout', {
    // 25 buyers share 10 units below: a buyer may win more than 3 unpaid orders.
    nodeEnv: { PAYMENT_TIMEOUT_MS: '300', PAYMENT_LATENCY_MS: '5', MAX_OPEN_ORDERS: '100' },
    gatewayEnv: { RATE_LIMIT_AUTH_PER_MIN: '100000' },
  });
});

test.after(async () => {
  await s.stop();
});

test('a pay whose charge key already holds another outcome answers that outcome, not the one expected', async () => {
  const u = await signup(s.url);
  await setStock('SKU-00012', 5);
  const order = await checkout(u, { items: [{ sku: 'SKU-00012', qty: 1 }] });
  assert.is(order.status, 201);
  const orderId = order.body.orderId as string;
  // As if an earlier attempt under this key (a node without the outcome up front, which died
  // after recording it) had been declined: the one write expecting approval must not commit,
  // and the pay answers the recorded outcome.
  await s.sql("INSERT INTO sim_charges (idempotency_key, order_id, amount, currency, outcome, reason, created_at) VALUES (?, ?, ?, 'USD', 'declined', 'card_declined', ?)",
    [`${orderId}:1`, orderId, order.body.total, Date.now()]);
  const declined = await pay(u, orderId, 'tok_ok');
  assert.equal([declined.status, declined.body.error?.code], [402, 'payment_declined']);
  assert.is(await charges(orderId), 1, 'no second charge under the key');
  const view = await call(s.url, 'GET', `/v1/orders/${orderId}`, { token: u.token });
  // Still payable, as the contract says: its status is the contract's, the saga's step is `state`.
  assert.equal([view.body.status, view.body.state], ['pending_payment', 'payment_declined']);
  // The stock was committed ahead of the write (an approval was expected): the unit stays
  // the order's until it is paid or closed, and a cancel puts it back on sale.
  assert.is((await stock('SKU-00012')).available, 4);
  assert.is((await call(s.url, 'POST', `/v1/orders/${orderId}/cancel`, { token: u.token })).status, 200);
  await eventually(async () => (await stock('SKU-00012')).available === 5, 5000);
});

test('1,000 concurrent checkouts of the last 10 units: 10 orders paid, the rest 409, stock 0, no reservation left', async () => {
  const sku = 'SKU-00010';
  await setStock(sku, 10);
  // One at a time: 25 concurrent signups missed their deadline on a loaded machine.
  const users: User[] = [];
  for (let i = 0; i < 25; i++) users.push(await signup(s.url));
  const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => checkout(users[i % users.length]!, { items: [{ sku, qty: 1 }] }).then((r) => ({ r, user: users[i % users.length]! }))));
  const won = results.filter(({ r }) => r.status === 201);
  const lost = results.filter(({ r }) => r.status === 409);
  assert.is(won.length, 10, `statuses: ${JSON.stringify([...new Set(results.map(({ r }) => r.status))])}`);
  assert.is(lost.length, 990);
  for (const { r } of lost) {
    assert.is(r.body.error.code, 'insufficient_stock');
    assert.equal(r.body.error.details.skus, [sku]);
  }
  const paid = await Promise.all(won.map(({ r, user }) => pay(user, r.body.orderId, 'tok_ok')));
  for (const p of paid) assert.equal([p.status, p.body.status], [200, 'paid']);
  const after = await stock(sku);
  assert.equal([after.onHand, after.reserved, after.available], [0, 0, 0]);
  const [active] = await s.sql<{ n: number }>("SELECT COUNT(*) AS n FROM reservations WHERE sku = ? AND status = 'active'", [sku]);
  assert.is(Number(active!.n), 0, 'no reservation left');
  const [committed] = await s.sql<{ n: number }>("SELECT COUNT(*) AS n FROM reservations WHERE sku = ? AND status = 'committed'", [sku]);
  assert.is(Number(committed!.n), 10);
});

test('a declined card can be retried; a provider timeout retried with the same key charges once', async () => {
  const u = await signup(s.url);
  await setStock('SKU-00011', 5);
  const order = await checkout(u, { items: [{ sku: 'SKU-00011', qty: 1 }] });
  assert.is(order.status, 201);
  const declined = await pay(u, order.body.orderId, 'tok_decline');
  assert.equal([declined.status, declined.body.error.code], [402, 'payment_declined']);
  const ok = await pay(u, order.body.orderId, 'tok_ok');
  assert.equal([ok.status, ok.body.status], [200, 'paid']);

  const second = await checkout(u, { items: [{ sku: 'SKU-00011', qty: 1 }] });
  const key = { 'Idempotency-Key': `pay-${second.body.orderId}` };
  const timedOut = await pay(u, second.body.orderId, 'tok_timeout', key);
  assert.is(timedOut.status, 503);
  assert.is(timedOut.body.error.code, 'payment_pending');
  assert.ok(timedOut.headers.get('retry-after'));
  const retried = await pay(u, second.body.orderId, 'tok_timeout', key);
  assert.equal([retried.status, retried.body.status], [200, 'paid']);
  assert.is(await charges(second.body.orderId), 1, 'charged once');
  const view = await call(s.url, 'GET', `/v1/orders/${second.body.orderId}`, { token: u.token });
  assert.equal(view.body.steps.map((t: { state: string }) => t.state), ['pending_payment', 'charging', 'paid']);
  assert.equal(view.body.steps.map((t: { status: string }) => t.status), ['pending_payment', 'pending_payment', 'paid'], 'only the contract\'s statuses');
  assert.equal(view.body.timeline.map((t: { status: string }) => t.status), ['pending_payment', 'paid'], 'one timeline entry per change of status');
});

test('Idempotency-Key on checkout and pay: one order, one charge', async () => {
  const u = await signup(s.url);
  await setStock('SKU-00013', 10);
  const key = { 'Idempotency-Key': `co-${u.userId}` };
  const [a, b] = await Promise.all([checkout(u, { items: [{ sku: 'SKU-00013', qty: 2 }] }, key), checkout(u, { items: [{ sku: 'SKU-00013', qty: 2 }] }, key)]);
  assert.equal([a.status, b.status], [201, 201]);
  assert.is(a.body.orderId, b.body.orderId);
  assert.is((await stock('SKU-00013')).reserved, 2, 'reserved once');
  const payKey = { 'Idempotency-Key': `pay-${a.body.orderId}` };
  const p1 = await pay(u, a.body.orderId, 'tok_ok', payKey);
  const p2 = await pay(u, a.body.orderId, 'tok_ok', payKey);
  assert.equal(p1.body, p2.body);
  assert.is(await charges(a.body.orderId), 1);
});

test('order history: only the caller’s orders, newest first, with correct totals and pages', async () => {
  const a = await signup(s.url);
  const b = await signup(s.url);
  await setStock('SKU-00014', 50);
  await setStock('SKU-00015', 50);
  const placed: string[] = [];
  for (const qty of [1, 2, 3]) placed.push((await checkout(a, { items: [{ sku: 'SKU-00014', qty }, { sku: 'SKU-00015', qty: 1 }] })).body.orderId);
  const other = (await checkout(b, { items: [{ sku: 'SKU-00014', qty: 1 }] })).body.orderId;
  await pay(a, placed[0]!, 'tok_ok');

  const list = await call(s.url, 'GET', '/v1/orders', { token: a.token });
  assert.is(list.status, 200);
  assert.equal(list.body.items.map((o: { orderId: string }) => o.orderId), [...placed].reverse());
  for (const o of list.body.items as { items: { price: number; qty: number }[]; total: number; subtotal: number; shipping: number }[]) {
    assert.is(o.subtotal, o.items.reduce((n, l) => n + l.price * l.qty, 0));
    assert.ok(o.shipping > 0, 'shipping is charged');
    assert.is(o.total, o.subtotal + o.shipping);
  }
  assert.is(list.body.items[2].status, 'paid');

  const page1 = await call(s.url, 'GET', '/v1/orders?limit=2', { token: a.token });
  assert.is(page1.body.items.length, 2);
  const page2 = await call(s.url, 'GET', `/v1/orders?limit=2&cursor=${page1.body.nextCursor}`, { token: a.token });
  assert.equal(page2.body.items.map((o: { orderId: string }) => o.orderId), [placed[0]]);
  assert.is(page2.body.nextCursor, null);
  // A's cursor with B's token is not a place in B's history (it had been read as one).
  const foreign = await call(s.url, 'GET', `/v1/orders?limit=2&cursor=${page1.body.nextCursor}`, { token: b.token });
  assert.equal([foreign.status, foreign.body.error?.code, foreign.body.error?.details?.[0]?.field], [400, 'invalid_cursor', 'cursor'], JSON.stringify(foreign.body));
  // A cursor given out before cursors named their list is still read.
  const [at, id] = JSON.parse(Buffer.from(page1.body.nextCursor, 'base64url').toString()) as [number, string];
  const older = await call(s.url, 'GET', `/v1/orders?limit=2&cursor=${Buffer.from(JSON.stringify([at, id])).toString('base64url')}`, { token: a.token });
  assert.equal(older.body.items?.map((o: { orderId: string }) => o.orderId), [placed[0]]);

  assert.is((await call(s.url, 'GET', `/v1/orders/${other}`, { token: a.token })).status, 404, 'another user’s order does not exist for me');
  assert.is((await pay(a, other, 'tok_ok')).status, 404);
  assert.is((await call(s.url, 'POST', `/v1/orders/${other}/cancel`, { token: a.token })).status, 404);
  assert.is((await call(s.url, 'GET', '/v1/orders')).status, 401);
  assert.is((await call(s.url, 'GET', '/v1/orders?limit=0', { token: a.token })).status, 422, 'limit 0 is well-formed but out of range, as on every list route');
  assert.is((await call(s.url, 'GET', '/v1/orders?cursor=garbage', { token: a.token })).status, 400);
  const crafted = Buffer.from('[1e999,"x"]').toString('base64url');
  assert.is((await call(s.url, 'GET', `/v1/orders?cursor=${crafted}`, { token: a.token })).status, 400);
});

test('lines are reserved in the warehouse fastest to the address, and the order shows its delivery estimate', async () => {
  await s.sql("INSERT IGNORE INTO delivery_routes (warehouse_id, cluster_id, transit_days) VALUES ('wh-east', 'east', 1), ('wh-west', 'east', 5)");
  const u = await signup(s.url);
  const address = await call(s.url, 'POST', '/v1/me/addresses', { token: u.token, body: { line1: '1 Main St', city: 'Boston', region: 'MA', country: 'US', postalCode: '02110', isDefault: true } });
  assert.is(address.body.cluster, 'east');
  // The west holds more, so without a preference the fullest (west) would be picked.
  const r = await call(s.url, 'PUT', '/v1/admin/inventory/SKU-00018', { token: adminToken, body: { warehouses: [{ warehouseId: 'wh-east', onHand: 2 }, { warehouseId: 'wh-west', onHand: 20 }] } });
  assert.is(r.status, 200);
  const order = await checkout(u, { items: [{ sku: 'SKU-00018', qty: 1 }] });
  assert.is(order.status, 201);
  const [res] = await s.sql<{ warehouse_id: string }>('SELECT warehouse_id FROM reservations WHERE sku = ? AND owner = ?', ['SKU-00018', order.body.orderId]);
  assert.is(res!.warehouse_id, 'wh-east');
  const view = await call(s.url, 'GET', `/v1/orders/${order.body.orderId}`, { token: u.token });
  assert.is(view.body.delivery.days, 1);
  assert.match(view.body.delivery.eta, /^\d{4}-\d{2}-\d{2}$/);
  assert.is(view.body.address.cluster, 'east');
});

test('a coupon discounts one order only, and comes back when that order is cancelled', async () => {
  const u = await signup(s.url);
  await setStock('SKU-00017', 10);
  const first = await checkout(u, { items: [{ sku: 'SKU-00017', qty: 1 }], couponCode: 'WELCOME10' });
  assert.is(first.status, 201);
  const [row] = await s.sql<{ subtotal: number; discount: number; total: number; shipping: number }>('SELECT subtotal, discount, total, shipping FROM orders WHERE order_id = ?', [first.body.orderId]);
  assert.is(Number(row!.discount), Math.floor(Number(row!.subtotal) / 10));
  assert.is(first.body.total, Number(row!.subtotal) - Number(row!.discount) + Number(row!.shipping));
  const second = await checkout(u, { items: [{ sku: 'SKU-00017', qty: 1 }], couponCode: 'WELCOME10' });
  assert.equal([second.status, second.body.error?.code], [422, 'coupon_invalid']);
  assert.is((await stock('SKU-00017')).reserved, 1, 'the refused order holds nothing');
  await call(s.url, 'POST', `/v1/orders/${first.body.orderId}/cancel`, { token: u.token });
  const third = await checkout(u, { items: [{ sku: 'SKU-00017', qty: 1 }], couponCode: 'WELCOME10' });
  assert.is(third.status, 201, 'the coupon is free again');
});

test('checkout of the cart buys its lines and empties them; bad input is a 4xx', async () => {
  const u = await signup(s.url);
  await setStock('SKU-00016', 5);
  assert.is((await checkout(u, {})).status, 422, 'an empty cart cannot be bought');
  await call(s.url, 'POST', '/v1/cart/items', { token: u.token, body: { sku: 'SKU-00016', qty: 2 } });
  const order = await checkout(u, {});
  assert.is(order.status, 201);
  assert.is((await pay(u, order.body.orderId, 'tok_ok')).status, 200);
  const cart = await call(s.url, 'GET', '/v1/cart', { token: u.token });
  assert.equal(cart.body.items, []);
  const me = await call(s.url, 'GET', '/v1/me', { token: u.token });
  assert.ok(me.body.rewardPoints > 100, 'reward points were added');
  assert.is((await checkout(u, { items: [{ sku: 'NOPE-1', qty: 1 }] })).status, 404);
  assert.is((await checkout(u, { items: [{ sku: 'SKU-00016', qty: 0 }] })).status, 422);
  assert.is((await checkout(u, { items: 'x' })).status, 400);
  assert.is((await checkout(u, { items: [{ sku: 'SKU-00016', qty: 1 }], couponCode: 'NOPE' })).status, 422);
  assert.is((await pay(u, order.body.orderId, '')).status, 422);
  assert.is((await call(s.url, 'POST', `/v1/orders/${order.body.orderId}/pay`, { token: u.token, body: { paymentMethod: {} } })).status, 400);
  assert.is((await call(s.url, 'POST', '/v1/orders/not-an-order/pay', { token: u.token, body: { paymentMethod: { type: 'card', token: 'tok_ok' } } })).status, 404);

  // Every field is optional: a checkout of the cart sent with no body at all is one (it was
  // a 415 for the missing Content-Type), and so is one declared JSON with an empty body.
  await call(s.url, 'POST', '/v1/cart/items', { token: u.token, body: { sku: 'SKU-00016', qty: 1 } });
  const bare = await call(s.url, 'POST', '/v1/checkout', { token: u.token });
  assert.equal([bare.status, bare.body.status], [201, 'pending_payment'], JSON.stringify(bare.body));
  await call(s.url, 'POST', '/v1/cart/items', { token: u.token, body: { sku: 'SKU-00016', qty: 1 } });
  const empty = await call(s.url, 'POST', '/v1/checkout', { token: u.token, headers: { 'content-type': 'application/json' } });
  assert.is(empty.status, 201, JSON.stringify(empty.body));
  assert.is((await call(s.url, 'POST', '/v1/checkout', { token: u.token, body: '{"items":', headers: { 'content-type': 'application/json' } })).status, 400, 'a body that is there is still read');
});

test.run();
