// The gateway end to end over HTTP: the user journey (signup → … → logout) and
// authorisation on every 🔒 and 🛠 route, against real processes and stores.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { adminToken, call, signup, startStack, type Stack } from './support/gateway.ts';

let s: Stack;
test.before(async () => {
  s = await startStack('gwflow');
});
test.after(async () => {
  await s?.stop();
});

test('signup → login → profile → address → cart → wishlist → logout refuses the token', async () => {
  const email = `flow${Date.now()}@example.com`;
  const up = await call(s.url, 'POST', '/v1/auth/signup', { body: { email, password: 'password123', name: 'Flow Tester' } });
  assert.is(up.status, 201);
  assert.ok(up.headers.get('x-request-id'));
  const dup = await call(s.url, 'POST', '/v1/auth/signup', { body: { email: email.toUpperCase(), password: 'password123', name: 'Again' } });
  assert.is(dup.status, 409);
  assert.is(dup.body.error.code, 'email_taken');

  const wrong = await call(s.url, 'POST', '/v1/auth/login', { body: { email, password: 'not-the-password' } });
  assert.is(wrong.status, 401);
  assert.is(wrong.body.error.code, 'invalid_credentials');
  const login = await call(s.url, 'POST', '/v1/auth/login', { body: { email, password: 'password123' } });
  assert.is(login.status, 200);
  assert.is(login.body.userId, up.body.userId);
  const token = login.body.token as string;
  assert.is.not(token, up.body.token);

  const me = await call(s.url, 'GET', '/v1/me', { token });
  assert.is(me.status, 200);
  assert.equal({ email: me.body.email, name: me.body.name, addresses: me.body.addresses, rewardPoints: me.body.rewardPoints },
    { email, name: 'Flow Tester', addresses: [], rewardPoints: 100 });
  assert.is(me.body.coupons[0].code, 'WELCOME10');

  const renamed = await call(s.url, 'PATCH', '/v1/me', { token, body: { name: 'Zoë 测试' } });
  assert.is(renamed.status, 200);
  assert.is(renamed.body.name, 'Zoë 测试');
  assert.is((await call(s.url, 'GET', '/v1/me', { token })).body.name, 'Zoë 测试', 'the cached page was invalidated');

  const addr = await call(s.url, 'POST', '/v1/me/addresses', { token, body: { line1: '1 Ocean Ave', city: 'San Francisco', region: 'CA', country: 'US', postalCode: '94105' } });
  assert.is(addr.status, 201);
  assert.is(addr.body.cluster, 'west');
  assert.is(addr.body.isDefault, true, 'the first address becomes the default');
  const addr2 = await call(s.url, 'POST', '/v1/me/addresses', { token, body: { line1: '5 Fifth Ave', city: 'New York', region: 'NY', country: 'US', postalCode: '10001', isDefault: true } });
  assert.is(addr2.body.cluster, 'east');
  const page = await call(s.url, 'GET', '/v1/me', { token });
  assert.is(page.body.addresses.length, 2);
  assert.is(page.body.defaultAddressId, addr2.body.addressId);
  assert.is((await call(s.url, 'DELETE', `/v1/me/addresses/${addr2.body.addressId}`, { token })).status, 204);
  assert.is((await call(s.url, 'GET', '/v1/me', { token })).body.defaultAddressId, addr.body.addressId, 'the default moved to the remaining address');

  let cart = await call(s.url, 'GET', '/v1/cart', { token });
  assert.equal(cart.body, { items: [], subtotal: 0, currency: 'USD' });
  cart = await call(s.url, 'POST', '/v1/cart/items', { token, body: { sku: 'SKU-00002', qty: 2 } });
  assert.is(cart.status, 200);
  const price2 = cart.body.items[0].price as number;
  assert.equal(cart.body.items, [{ sku: 'SKU-00002', qty: 2, price: price2, currency: 'USD', title: cart.body.items[0].title }]);
  assert.ok(cart.body.items[0].title.length > 0);
  cart = await call(s.url, 'POST', '/v1/cart/items', { token, body: { sku: 'SKU-00005', qty: 1 } });
  cart = await call(s.url, 'POST', '/v1/cart/items', { token, body: { sku: 'SKU-00002', qty: 1 } });
  assert.is(cart.body.items.find((i: { sku: string }) => i.sku === 'SKU-00002').qty, 3, 'adding again adds up');
  cart = await call(s.url, 'PATCH', '/v1/cart/items/SKU-00002', { token, body: { qty: 7 } });
  assert.is(cart.status, 200);
  assert.is(cart.body.subtotal, 7 * price2 + cart.body.items[1].price);
  cart = await call(s.url, 'DELETE', '/v1/cart/items/SKU-00005', { token });
  assert.is(cart.status, 200);
  assert.equal(cart.body.items.map((i: { sku: string; qty: number }) => [i.sku, i.qty]), [['SKU-00002', 7]]);
  cart = await call(s.url, 'PATCH', '/v1/cart/items/SKU-00002', { token, body: { qty: 0 } });
  assert.equal(cart.body.items, [], 'qty 0 removes the line');
  cart = await call(s.url, 'POST', '/v1/cart/items', { token, body: { sku: 'SKU-00009', qty: 4 } });
  const stored = await s.sql<{ sku: string; qty: number }>('SELECT sku, qty FROM cart_lines WHERE user_id = ?', [login.body.userId]);
  assert.equal(stored.map((r) => [r.sku, r.qty]), [['SKU-00009', 4]], 'the cart is in MariaDB');

  let wl = await call(s.url, 'POST', '/v1/wishlist/items', { token, body: { sku: 'SKU-00011' } });
  assert.is(wl.status, 200);
  assert.equal(wl.body.items.map((i: { sku: string }) => i.sku), ['SKU-00011']);
  wl = await call(s.url, 'POST', '/v1/wishlist/items', { token, body: { sku: 'SKU-00012' } });
  assert.is(wl.body.items.length, 2);
  assert.is((await call(s.url, 'GET', '/v1/wishlist', { token })).body.items.length, 2);
  wl = await call(s.url, 'DELETE', '/v1/wishlist/items/SKU-00011', { token });
  assert.equal(wl.body.items.map((i: { sku: string }) => i.sku), ['SKU-00012']);
  assert.equal((await call(s.url, 'GET', '/v1/wishlist', { token })).body.items.map((i: { sku: string }) => i.sku), ['SKU-00012'], 'the cached wishlist was invalidated');

  // Paged when asked (API.md's Lists), newest first; the whole list otherwise.
  for (const sku of ['SKU-00013', 'SKU-00014', 'SKU-00015', 'SKU-00016']) await call(s.url, 'POST', '/v1/wishlist/items', { token, body: { sku } });
  const skus = (r: { body: { items: { sku: string }[] } }) => r.body.items.map((i) => i.sku);
  const whole = await call(s.url, 'GET', '/v1/wishlist', { token });
  assert.equal([skus(whole), whole.body.nextCursor], [['SKU-00016', 'SKU-00015', 'SKU-00014', 'SKU-00013', 'SKU-00012'], null]);
  const first = await call(s.url, 'GET', '/v1/wishlist?limit=2', { token });
  assert.equal(skus(first), ['SKU-00016', 'SKU-00015']);
  assert.type(first.body.nextCursor, 'string');
  // An item of a page already seen goes: the next page starts where the last one ended.
  await call(s.url, 'DELETE', '/v1/wishlist/items/SKU-00015', { token });
  const second = await call(s.url, 'GET', `/v1/wishlist?limit=2&cursor=${first.body.nextCursor}`, { token });
  assert.equal(skus(second), ['SKU-00014', 'SKU-00013']);
  // Another account's cursor is not a place in this list: it had been read as one, and
  // its page skipped every item of this list newer than the other's place.
  const otherAccount = await signup(s.url, 'Other');
  const foreign = await call(s.url, 'GET', `/v1/wishlist?limit=2&cursor=${first.body.nextCursor}`, { token: otherAccount.token });
  assert.equal([foreign.status, foreign.body.error?.code], [400, 'invalid_cursor'], JSON.stringify(foreign.body));
  const last = await call(s.url, 'GET', `/v1/wishlist?limit=2&cursor=${second.body.nextCursor}`, { token });
  assert.equal([skus(last), last.body.nextCursor], [['SKU-00012'], null]);
  assert.equal((await call(s.url, 'GET', '/v1/wishlist?limit=0', { token })).status, 422);
  assert.equal((await call(s.url, 'GET', '/v1/wishlist?cursor=abc', { token })).body.error?.code, 'invalid_cursor');
  const forged = Buffer.from(JSON.stringify({ at: 'zzzz', sku: '' })).toString('base64url');
  assert.equal((await call(s.url, 'GET', `/v1/wishlist?cursor=${forged}`, { token })).body.error?.code, 'invalid_cursor', 'a place never given out');
  assert.equal(skus(await call(s.url, 'GET', '/v1/wishlist?limit=%20', { token })).length, 4, 'a blank limit: the whole list, as with none');

  assert.is((await call(s.url, 'POST', '/v1/auth/logout', { token })).status, 204);
  // A retried logout (its answer lost, or a 503 that said retry) is done, not "who are you?".
  assert.is((await call(s.url, 'POST', '/v1/auth/logout', { token })).status, 204, 'a logout asked again');
  const after = await call(s.url, 'GET', '/v1/me', { token });
  assert.is(after.status, 401);
  assert.is(after.body.error.code, 'invalid_token');
  assert.is((await call(s.url, 'GET', '/v1/cart', { token })).status, 401);
  assert.is((await call(s.url, 'GET', '/v1/me', { token: up.body.token })).status, 200, 'the other session still works');
});

const lockedRoutes: [string, string, unknown?][] = [
  ['POST', '/v1/auth/logout'], ['GET', '/v1/me'], ['PATCH', '/v1/me', { name: 'x' }],
  ['POST', '/v1/me/addresses', { line1: 'a', city: 'b', region: 'CA', country: 'US', postalCode: '1' }], ['DELETE', '/v1/me/addresses/a123'],
  ['GET', '/v1/cart'], ['POST', '/v1/cart/items', { sku: 'SKU-00001', qty: 1 }], ['PATCH', '/v1/cart/items/SKU-00001', { qty: 1 }],
  ['DELETE', '/v1/cart/items/SKU-00001'], ['GET', '/v1/wishlist'], ['POST', '/v1/wishlist/items', { sku: 'SKU-00001' }], ['DELETE', '/v1/wishlist/items/SKU-00001'],
];

test('every 🔒 route: 401 without a token or with a made-up one', async () => {
  for (const [method, path, body] of lockedRoutes) {
    const none = await call(s.url, method, path, { body });
    assert.is(none.status, 401, `${method} ${path} without a token`);
    assert.is(none.body.error.code, 'unauthenticated');
    const forged = await call(s.url, method, path, { body, token: 'A'.repeat(43) });
    assert.is(forged.status, 401, `${method} ${path} with a forged token`);
  }
});

test('made-up tokens, SKUs and order ids are answered without a write: no epoch row for any of them', async () => {
  const u = await signup(s.url, 'Prober');
  const epochRows = async () => (await s.sql<{ n: number }>('SELECT COUNT(*) AS n FROM entity_epochs'))[0]!.n;
  const before = await epochRows();
  for (let i = 0; i < 5; i++) {
    const token = `${'Z'.repeat(40)}${String(i).padStart(3, '0')}`;
    assert.is((await call(s.url, 'GET', '/v1/me', { token })).status, 401);
    assert.is((await call(s.url, 'GET', '/v1/cart', { token })).status, 401);
    const sku = `NOPE-${i}`;
    const stock = await call(s.url, 'GET', `/v1/inventory/${sku}`);
    assert.equal([stock.status, stock.body.error?.code], [404, 'unknown_sku'], 'neither a product nor stock: no such SKU');
    const orderId = `o${'0'.repeat(20)}${i}`;
    assert.is((await call(s.url, 'GET', `/v1/orders/${orderId}`, { token: u.token })).status, 404);
    assert.is((await call(s.url, 'POST', `/v1/orders/${orderId}/cancel`, { token: u.token })).status, 404);
  }
  // Each had claimed an epoch before, durably and for ever: a row per made-up id, and a
  // transaction of the database's log for each, to anyone without an account.
  assert.is(await epochRows(), before, 'no epoch row written');
  // The real ones still claim: the stock set for a SKU read before it had any.
  const set = await call(s.url, 'PUT', '/v1/admin/inventory/NOPE-0', { token: adminToken, body: { warehouses: [{ warehouseId: 'wh-west', onHand: 7 }] } });
  assert.is(set.status, 200, JSON.stringify(set.body));
  assert.is((await call(s.url, 'GET', '/v1/inventory/NOPE-0')).body.available, 7);
  assert.is(await epochRows(), before + 1);
});

test("user B sees 404 for A's resources and never A's data", async () => {
  const a = await signup(s.url, 'Alice');
  const b = await signup(s.url, 'Bob');
  const addr = await call(s.url, 'POST', '/v1/me/addresses', { token: a.token, body: { line1: '1 A St', city: 'Boston', region: 'MA', country: 'US', postalCode: '02101' } });
  await call(s.url, 'POST', '/v1/cart/items', { token: a.token, body: { sku: 'SKU-00001', qty: 3 } });
  await call(s.url, 'POST', '/v1/wishlist/items', { token: a.token, body: { sku: 'SKU-00001' } });

  const del = await call(s.url, 'DELETE', `/v1/me/addresses/${addr.body.addressId}`, { token: b.token });
  assert.is(del.status, 404);
  assert.is(del.body.error.code, 'not_found');
  assert.equal((await call(s.url, 'GET', '/v1/me', { token: b.token })).body.addresses, []);
  assert.equal((await call(s.url, 'GET', '/v1/cart', { token: b.token })).body.items, []);
  assert.equal((await call(s.url, 'GET', '/v1/wishlist', { token: b.token })).body.items, []);
  // B's removing the SKU from "their" cart and wishlist does not touch A's.
  await call(s.url, 'DELETE', '/v1/cart/items/SKU-00001', { token: b.token });
  await call(s.url, 'DELETE', '/v1/wishlist/items/SKU-00001', { token: b.token });
  assert.is((await call(s.url, 'GET', '/v1/cart', { token: a.token })).body.items[0].qty, 3);
  assert.is((await call(s.url, 'GET', '/v1/wishlist', { token: a.token })).body.items.length, 1);
  assert.is((await call(s.url, 'GET', '/v1/me', { token: a.token })).body.addresses.length, 1);
});

test('admin routes: 403 without a token and with a user token (API.md: "403 otherwise"), 200 with the admin token', async () => {
  const u = await signup(s.url);
  const put = { warehouses: [{ warehouseId: 'wh-east', onHand: 12 }] };
  for (const [method, path, body] of [['PUT', '/v1/admin/inventory/SKU-00001', put], ['GET', '/v1/admin/cluster', undefined]] as const) {
    const anonymous = await call(s.url, method, path, { body });
    assert.equal([anonymous.status, anonymous.body.error.code], [403, 'forbidden'], `${method} ${path} anonymous`);
    const asUser = await call(s.url, method, path, { body, token: u.token });
    assert.is(asUser.status, 403, `${method} ${path} as a user`);
    assert.is(asUser.body.error.code, 'forbidden');
  }
  const ok = await call(s.url, 'PUT', '/v1/admin/inventory/SKU-00001', { body: put, token: adminToken });
  assert.is(ok.status, 200);
  const inv = await call(s.url, 'GET', '/v1/inventory/SKU-00001');
  assert.equal({ onHand: inv.body.onHand, available: inv.body.available, status: inv.body.status }, { onHand: 12, available: 12, status: 'in_stock' });
  const cluster = await call(s.url, 'GET', '/v1/admin/cluster', { token: adminToken });
  assert.is(cluster.status, 200);
  // The node's periodic jobs are placed: the outbox's relay and the retention jobs among them.
  for (const job of ['outbox-relay', 'outbox-retention', 'inventory-command-retention', 'session-retention']) assert.ok(job in cluster.body.singletons, `${job} is placed on a node`);
  // Each node's dropped messages and activations (the dashboard's Nodes table shows them).
  const nodeStats = cluster.body.nodeStats as { nodeId: string; dropped?: unknown; activations?: unknown }[];
  assert.equal(nodeStats.map((n) => n.nodeId), ['n1']);
  for (const n of nodeStats) {
    assert.type(n.dropped, 'number', `${n.nodeId} dropped`);
    assert.type(n.activations, 'number', `${n.nodeId} activations`);
  }
  assert.ok((nodeStats[0]!.activations as number) >= 1, 'the inventory entity just written was activated');
});

test('operations: 404 for unknown routes, /openapi.json, /metrics, /healthz, /readyz', async () => {
  const nf = await call(s.url, 'GET', '/v1/nope');
  assert.is(nf.status, 404);
  assert.is(nf.body.error.code, 'not_found');
  const doc = await call(s.url, 'GET', '/openapi.json');
  assert.is(doc.status, 200);
  assert.is(doc.body.openapi, '3.1.0');
  assert.ok(doc.body.paths['/v1/cart/items'].post.requestBody);
  assert.is(doc.body.components.schemas.AddCartItem.properties.qty.maximum, 99);
  const metrics = await call(s.url, 'GET', '/metrics');
  assert.is(metrics.status, 200);
  assert.match(metrics.body, /shop_http_requests_total\{method="POST",route="\/v1\/cart\/items",status="200"\}/);
  assert.match(metrics.body, /shop_asks_total\{type="cart",outcome="ok"\} [1-9]/);
  assert.match(metrics.body, /shop_ask_duration_seconds_count\{type="cart"\} [1-9]/);
  // A gateway's metrics are its own: nodes' gauges are on the nodes' ops ports.
  assert.not.match(metrics.body, /shop_leases_held/);
  assert.is((await call(s.url, 'GET', '/healthz')).status, 200);
  assert.is((await call(s.url, 'GET', '/readyz')).status, 200);
});

test.run();
