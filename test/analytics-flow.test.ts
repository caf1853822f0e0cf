// Events, analytics reports, recommendations and "not interested" over HTTP against node
// and gateway processes on the real NATS, Redis and MariaDB.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Redis } from 'ioredis';
import { ordersStream } from '../stores/events/index.ts';
import { RedisShopperSignals } from '../actors/analytics/index.ts';
import { eventually, natsConnection, redisUrl } from './support/harness.ts';
import { adminToken, call, signup, signupBuyer, startStack, type Stack } from './support/gateway.ts';
import { encodeCursor } from '../actors/catalog/index.ts';

let s: Stack;
let redis: Redis;
type User = Awaited<ReturnType<typeof signup>>;

const products = [
  { sku: 'AN-1', category: 'audio/headphones', price: 1000 },
  { sku: 'AN-2', category: 'audio/headphones', price: 2000 },
  { sku: 'AN-3', category: 'audio/cables', price: 300 },
  { sku: 'AN-4', category: 'books/fiction', price: 1500 },
  { sku: 'AN-5', category: 'books/fiction', price: 900 },
  { sku: 'AN-6', category: 'garden/tools', price: 2500 },
  { sku: 'AN-7', category: 'garden/tools', price: 700 },
  { sku: 'AN-8', category: 'garden/seeds', price: 200 },
];

const admin = (path: string) => call(s.url, 'GET', path, { token: adminToken });
const device = (id: string) => ({ 'x-device-id': id });
const event = (body: unknown, opts: { token?: string; headers?: Record<string, string> }) => call(s.url, 'POST', '/v1/events', { body, ...opts });
const skus = (r: { body: { items: Array<{ sku: string }> } }) => r.body.items.map((i) => i.sku);

test.before(async () => {
  s = await startStack('analytics', { gatewayEnv: { RATE_LIMIT_AUTH_PER_MIN: '100000' } });
  redis = new Redis(redisUrl);
  const body = products.map((p) => JSON.stringify({ ...p, title: `Product ${p.sku}`, brand: 'Acme', currency: 'USD', supplierId: 'sup-1', attributes: {} })).join('\n');
  const r = await call(s.url, 'POST', '/v1/admin/products', { token: adminToken, headers: { 'content-type': 'application/x-ndjson' }, body });
  assert.is(r.status, 202, JSON.stringify(r.body));
  for (const p of products) {
    const st = await call(s.url, 'PUT', `/v1/admin/inventory/${p.sku}`, { token: adminToken, body: { warehouses: [{ warehouseId: 'wh-east', onHand: 100 }] } });
    assert.is(st.status, 200, JSON.stringify(st.body));
  }
  await eventually(async () => (await call(s.url, 'GET', '/v1/products/AN-8')).status === 200, 10_000);
  // Onboarded products start out of stock until the projection sees their stock.
  await eventually(async () => (await redis.sismember(`${s.env.cluster}:catalog:oos`, 'AN-8')) === 0, 10_000);
});

test.after(async () => {
  redis?.disconnect();
  await s?.stop();
});

test('POST /v1/events: bad input is a clear 4xx, a good event 202', async () => {
  const none = await event({ type: 'view', sku: 'AN-1' }, {});
  assert.equal([none.status, none.body.error.code], [400, 'device_id_required']);
  const badDevice = await event({ type: 'view', sku: 'AN-1' }, { headers: device('no') });
  assert.equal([badDevice.status, badDevice.body.error.code], [400, 'invalid_device_id']);
  const badType = await event({ type: 'purchase', sku: 'AN-1' }, { headers: device('device-0001') });
  assert.is(badType.status, 422, JSON.stringify(badType.body));
  assert.equal(badType.body.error.details[0].field, 'type');
  const missing = await event({ type: 'view' }, { headers: device('device-0001') });
  assert.equal([missing.status, missing.body.error.code], [400, 'invalid_request']);
  // Another type of value where the enum wants a string (or none at all) is a wrong type: 400.
  for (const type of [1, null, ['view'], undefined]) {
    const wrong = await event({ type, sku: 'AN-1' }, { headers: device('device-0001') });
    assert.equal([wrong.status, wrong.body.error?.code, wrong.body.error?.details?.[0]?.field], [400, 'invalid_request', 'type'], JSON.stringify(type));
  }
  const unknown = await event({ type: 'view', sku: 'NOPE-1' }, { headers: device('device-0001') });
  assert.equal([unknown.status, unknown.body.error.code], [404, 'unknown_sku']);
  const badToken = await event({ type: 'view', sku: 'AN-1' }, { token: 'x'.repeat(43) });
  assert.is(badToken.status, 401);
  const ok = await event({ type: 'click', sku: 'AN-1', query: 'headphones' }, { headers: device('device-0001') });
  assert.is(ok.status, 202, JSON.stringify(ok.body));
  assert.type(ok.body.id, 'string');
});

test('exact counts within 5 s: searches normalised, product views (POST and GET detail), wishlist adds', async () => {
  const started = Date.now();
  const u = await signup(s.url);
  // "éclair" typed composed and with a combining accent: one query.
  const searches = ['  Wireless   HEADPHONES ', 'wireless headphones', 'WIRELESS headphones', 'garden hose', '\u00e9clair', 'e\u0301clair'];
  await Promise.all(searches.map((q) => call(s.url, 'GET', `/v1/search?q=${encodeURIComponent(q)}`)));
  await Promise.all(Array.from({ length: 7 }, (_, i) => event({ type: 'view', sku: 'AN-2' }, { headers: device(`device-v${String(i).padStart(4, '0')}`) })));
  await Promise.all(Array.from({ length: 3 }, () => call(s.url, 'GET', '/v1/products/AN-2')));
  const w = await call(s.url, 'POST', '/v1/wishlist/items', { token: u.token, body: { sku: 'AN-6' } });
  assert.is(w.status, 200, JSON.stringify(w.body));
  // Wished again (already there) and a search's second page: neither counts again.
  assert.is((await call(s.url, 'POST', '/v1/wishlist/items', { token: u.token, body: { sku: 'AN-6' } })).status, 200);
  assert.is((await call(s.url, 'GET', `/v1/search?q=garden%20hose&cursor=${encodeURIComponent(encodeCursor(1))}`)).status, 200);
  // HEAD (a monitor's probe) reads no results and shows no product: no search, no view.
  const heads = await Promise.all([call(s.url, 'HEAD', '/v1/search?q=garden%20hose'), call(s.url, 'HEAD', '/v1/products/AN-2')]);
  assert.equal(heads.map((h) => h.status), [200, 200]);
  // A search and a view sent after the HEADs: once they are counted, anything the HEADs had
  // recorded would be too, so the counts below are final rather than first seen.
  assert.is((await call(s.url, 'GET', '/v1/search?q=after%20the%20probes')).status, 200);
  assert.is((await call(s.url, 'GET', '/v1/products/AN-3')).status, 200);

  const top = await eventually(async () => {
    const r = await admin('/v1/admin/analytics/top-searches?window=hour&limit=5');
    return r.body.items?.some((i: { query: string }) => i.query === 'after the probes') ? r : undefined;
  }, 5000);
  assert.equal(top.body.items.filter((i: { query: string }) => i.query !== 'after the probes'),
    [{ query: 'wireless headphones', count: 3 }, { query: '\u00e9clair', count: 2 }, { query: 'garden hose', count: 1 }]);
  assert.is(top.body.window, 'hour');
  assert.ok(Date.parse(top.body.since) <= Date.now() - 59 * 60_000);
  const views = await eventually(async () => {
    const r = await admin('/v1/admin/analytics/top-products?by=views&window=day');
    return r.body.items?.some((i: { sku: string }) => i.sku === 'AN-3') ? r : undefined;
  }, 5000);
  assert.equal(views.body.items[0], { sku: 'AN-2', title: 'Product AN-2', count: 10 });
  const wish = await eventually(async () => {
    const r = await admin('/v1/admin/analytics/top-products?by=wishlist&window=week');
    return r.body.items?.length === 1 ? r : undefined;
  }, 5000);
  assert.equal(wish.body.items, [{ sku: 'AN-6', title: 'Product AN-6', count: 1 }]);
  assert.ok(Date.now() - started < 15_000);
  const trending = await new RedisShopperSignals(redis, s.env.cluster).trending(3);
  assert.is(trending[0]?.sku, 'AN-2');

  const bad = await admin('/v1/admin/analytics/top-products?by=likes');
  assert.equal([bad.status, bad.body.error.code], [422, 'validation_failed']);
  const user = await call(s.url, 'GET', '/v1/admin/analytics/revenue', { token: u.token });
  assert.is(user.status, 403);
});

async function buy(u: User, items: Array<{ sku: string; qty: number }>): Promise<string> {
  const order = await call(s.url, 'POST', '/v1/checkout', { token: u.token, body: { items } });
  assert.is(order.status, 201, JSON.stringify(order.body));
  const paid = await call(s.url, 'POST', `/v1/orders/${order.body.orderId}/pay`, { token: u.token, body: { paymentMethod: { type: 'card', token: 'tok_ok' } } });
  assert.is(paid.status, 200, JSON.stringify(paid.body));
  return order.body.orderId as string;
}

test('revenue by category from paid orders, refunds subtracted; bought-together items in related', async () => {
  const u = await signupBuyer(s.url);
  await buy(u, [{ sku: 'AN-1', qty: 2 }, { sku: 'AN-3', qty: 1 }]);
  await buy(u, [{ sku: 'AN-4', qty: 1 }]);
  const unpaid = await call(s.url, 'POST', '/v1/checkout', { token: u.token, body: { items: [{ sku: 'AN-5', qty: 1 }] } });
  assert.is(unpaid.status, 201);

  const rev = await eventually(async () => {
    const r = await admin('/v1/admin/analytics/revenue?by=category&window=hour');
    return r.body.items?.length === 3 ? r : undefined;
  }, 5000);
  assert.is(rev.body.currency, 'USD');
  assert.equal(rev.body.items, [
    { category: 'audio/headphones', revenue: 2000, orders: 1 },
    { category: 'books/fiction', revenue: 1500, orders: 1 },
    { category: 'audio/cables', revenue: 300, orders: 1 },
  ]);
  const orders = await admin('/v1/admin/analytics/top-products?by=orders&window=day');
  assert.equal(orders.body.items.map((i: { sku: string; count: number }) => [i.sku, i.count]).sort(), [['AN-1', 1], ['AN-3', 1], ['AN-4', 1]]);

  // A refund (as the ORDERS stream carries it) takes its revenue back out.
  const nc = await natsConnection();
  const refund = { type: 'OrderRefunded', orderId: 'o-refund-1', userId: u.userId, total: 1500, currency: 'USD', lines: [{ sku: 'AN-4', qty: 1, price: 1500 }], at: Date.now() };
  await nc.jetstream().publish(ordersStream(s.env.cluster).subject('refunded', 'o-refund-1'), new TextEncoder().encode(JSON.stringify(refund)));
  await nc.close();
  const after = await eventually(async () => {
    const r = await admin('/v1/admin/analytics/revenue?window=day');
    return r.body.items?.length === 2 ? r : undefined;
  }, 5000);
  assert.equal(after.body.items.map((i: { category: string }) => i.category), ['audio/headphones', 'audio/cables']);

  const signals = new RedisShopperSignals(redis, s.env.cluster);
  assert.equal(await signals.topCategories([], 5), [{ category: 'audio/headphones', units: 2 }, { category: 'audio/cables', units: 1 }]);
  assert.equal(await signals.topSkusInCategory('audio/headphones', [], 5), [{ sku: 'AN-1', units: 2 }]);

  const related = await eventually(async () => {
    const r = await call(s.url, 'GET', '/v1/products/AN-1/related');
    return r.body.items?.length ? r : undefined;
  }, 5000);
  assert.is(skus(related)[0], 'AN-3');
  // Products as the product page has them (API.md: {items:[product…]}), stock included.
  assert.equal(Object.keys(related.body.items[0]).sort(), ['attributes', 'brand', 'category', 'currency', 'price', 'sku', 'stock', 'title']);
  assert.ok(['in_stock', 'low'].includes(related.body.items[0].stock.status), JSON.stringify(related.body.items[0].stock));
  assert.is((await call(s.url, 'GET', '/v1/products/NOPE-9/related')).status, 404);
  // A price change shows in related lists as on the product page, not once a 30 s card cache lapses.
  const repriced = { sku: 'AN-3', title: 'Product AN-3', brand: 'Acme', category: 'audio/cables', price: 333, currency: 'USD', supplierId: 'sup-1', attributes: {} };
  assert.is((await call(s.url, 'POST', '/v1/admin/products', { token: adminToken, body: repriced })).status, 202);
  await eventually(async () => (await call(s.url, 'GET', '/v1/products/AN-3')).body.price === 333, 5000, 50);
  const priced = await eventually(async () => {
    const r = await call(s.url, 'GET', '/v1/products/AN-1/related');
    return r.body.items?.[0]?.price === 333 ? r : undefined;
  }, 5000, 50);
  assert.is(skus(priced)[0], 'AN-3');
});

test('recommendations from co-viewed items; a hidden category is gone within 2 s and comes back when undone', async () => {
  // Two shoppers view a garden tool, then a seed packet and a book in one session.
  for (const d of ['device-r001', 'device-r002']) {
    for (const sku of ['AN-7', 'AN-8', 'AN-5']) assert.is((await event({ type: 'view', sku }, { headers: device(d) })).status, 202);
  }
  const u = await signup(s.url);
  const cold = await call(s.url, 'GET', '/v1/me/recommendations?limit=5', { token: u.token });
  assert.is(cold.status, 200);
  assert.ok(skus(cold).includes('AN-1'), `cold start shows best sellers: ${JSON.stringify(skus(cold))}`);
  assert.is((await event({ type: 'view', sku: 'AN-7' }, { token: u.token })).status, 202);
  // Once the user's own recommendations exist (the cold-start list may hold AN-8 too).
  const mine = new RedisShopperSignals(redis, s.env.cluster);
  await eventually(async () => (await mine.recommendationsFor(u.userId, 10)).includes('AN-8'), 5000);
  const recs = await call(s.url, 'GET', '/v1/me/recommendations?limit=5', { token: u.token });
  assert.ok(skus(recs).includes('AN-8'), JSON.stringify(skus(recs)));
  assert.ok(!skus(recs).includes('AN-7'), 'not what they already looked at');
  assert.ok(skus(recs).includes('AN-5'), JSON.stringify(skus(recs)));

  const hide = await call(s.url, 'POST', '/v1/me/feedback', { token: u.token, body: { kind: 'not_interested', category: 'garden' } });
  assert.is(hide.status, 204);
  const hiddenAt = Date.now();
  const gone = await eventually(async () => {
    const r = await call(s.url, 'GET', '/v1/me/recommendations?limit=5', { token: u.token });
    return r.status === 200 && !skus(r).some((x) => x === 'AN-8' || x === 'AN-6') ? r : undefined;
  }, 2000, 20);
  assert.ok(Date.now() - hiddenAt < 2000);
  assert.ok(skus(gone).includes('AN-5'));
  const signals = new RedisShopperSignals(redis, s.env.cluster);
  assert.equal(await signals.hiddenFor(u.userId), { categories: ['garden'], skus: [] });
  assert.ok(!(await signals.recommendationsFor(u.userId, 10)).includes('AN-8'));
  const rows = await s.sql<{ kind: string; value: string }>('SELECT kind, value FROM recommendation_feedback WHERE user_id = ?', [u.userId]);
  assert.equal(rows.map((r) => [r.kind, r.value]), [['category', 'garden']]);
  // The related list of a product also leaves out what the caller hid.
  const rel = await call(s.url, 'GET', '/v1/products/AN-7/related', { token: u.token });
  assert.ok(!skus(rel).includes('AN-8'));
  assert.ok(skus(await call(s.url, 'GET', '/v1/products/AN-7/related')).includes('AN-8'));

  const hideSku = await call(s.url, 'POST', '/v1/me/feedback', { token: u.token, body: { kind: 'not_interested', sku: 'AN-5' } });
  assert.is(hideSku.status, 204);
  assert.ok(!skus(await call(s.url, 'GET', '/v1/me/recommendations?limit=5', { token: u.token })).includes('AN-5'));

  const undo = await call(s.url, 'DELETE', '/v1/me/feedback', { token: u.token, body: { kind: 'not_interested', category: 'garden' } });
  assert.is(undo.status, 204);
  assert.ok(skus(await call(s.url, 'GET', '/v1/me/recommendations?limit=5', { token: u.token })).includes('AN-8'));

  const unknownCat = await call(s.url, 'POST', '/v1/me/feedback', { token: u.token, body: { kind: 'not_interested', category: 'no/such' } });
  assert.equal([unknownCat.status, unknownCat.body.error.code], [422, 'unknown_category']);
  const both = await call(s.url, 'POST', '/v1/me/feedback', { token: u.token, body: { kind: 'not_interested', category: 'garden', sku: 'AN-5' } });
  assert.is(both.status, 400);
  // Named as what it is: both sent, not an unknown field.
  assert.equal(both.body.error.details, [{ field: '(body)', problem: 'send one of category, sku, not more' }]);
  // Well-formed, with a kind there is not: a value out of the rules, named.
  const love = await call(s.url, 'POST', '/v1/me/feedback', { token: u.token, body: { kind: 'love', sku: 'AN-5' } });
  assert.equal([love.status, love.body.error.code, love.body.error.details.map((d: { field: string }) => d.field)], [422, 'validation_failed', ['kind']]);
  for (const body of [{ kind: 1, sku: 'AN-5' }, { sku: 'AN-5' }]) {
    const wrong = await call(s.url, 'POST', '/v1/me/feedback', { token: u.token, body });
    assert.equal([wrong.status, wrong.body.error?.code], [400, 'invalid_request'], JSON.stringify(body));
  }
  const anon = await call(s.url, 'POST', '/v1/me/feedback', { body: { kind: 'not_interested', sku: 'AN-5' } });
  assert.is(anon.status, 401);
  assert.is((await call(s.url, 'GET', '/v1/me/recommendations')).status, 401);
});

test('a user whose views no one else shares still gets recommendations from their categories, on /v1/me/recommendations and in for_you', async () => {
  const knives = ['KN-1', 'KN-2', 'KN-3', 'KN-4'].map((sku, i) => ({ sku, category: 'kitchen/knives', price: 1000 + i }));
  const body = knives.map((p) => JSON.stringify({ ...p, title: `Knife ${p.sku}`, brand: 'Sharp', currency: 'USD', supplierId: 'sup-1', attributes: {} })).join('\n');
  assert.is((await call(s.url, 'POST', '/v1/admin/products', { token: adminToken, headers: { 'content-type': 'application/x-ndjson' }, body })).status, 202);
  for (const p of knives) {
    assert.is((await call(s.url, 'PUT', `/v1/admin/inventory/${p.sku}`, { token: adminToken, body: { warehouses: [{ warehouseId: 'wh-east', onHand: 50 }] } })).status, 200);
  }
  await eventually(async () => (await call(s.url, 'GET', '/v1/search?category=kitchen/knives')).body.total === 4, 10_000, 100);
  const u = await signup(s.url);
  // Two knives looked at by this user alone: co-occurrences say nothing about the others.
  for (const sku of ['KN-1', 'KN-2']) assert.is((await event({ type: 'view', sku }, { token: u.token })).status, 202);
  const recs = await eventually(async () => {
    const r = skus(await call(s.url, 'GET', '/v1/me/recommendations?limit=5', { token: u.token }));
    return r.includes('KN-3') && r.includes('KN-4') ? r : undefined;
  }, 10_000, 200);
  assert.not.ok(recs.includes('KN-1') || recs.includes('KN-2'), `what the user saw already is not recommended back: ${recs}`);
  const page = await call(s.url, 'GET', '/v1/homepage', { token: u.token });
  const forYou = page.body.blocks.find((b: { kind: string }) => b.kind === 'for_you');
  assert.ok(forYou.products.some((p: { sku: string }) => p.sku === 'KN-3'), JSON.stringify(forYou.products.map((p: { sku: string }) => p.sku)));

  // No history at all: a full list (best sellers first, then what is trending, then the
  // catalog), not only the few SKUs sold so far.
  const fresh = await signup(s.url);
  const none = skus(await call(s.url, 'GET', '/v1/me/recommendations?limit=10', { token: fresh.token }));
  assert.is(none.length, 10, JSON.stringify(none));
  assert.is(new Set(none).size, 10, 'no SKU twice');
});


test('revenue is what was paid for the goods: a coupon and points shared out over the categories, shipping left out; a refund takes back exactly that', async () => {
  const code = `HALF-${Date.now().toString(36)}`;
  const coupon = await call(s.url, 'POST', '/v1/admin/coupons', {
    token: adminToken, body: { code, discountPercent: 50, expiresAt: new Date(Date.now() + 86_400_000).toISOString(), maxRedemptions: 5 },
  });
  assert.is(coupon.status, 201, JSON.stringify(coupon.body));
  const revenueOf = async () => {
    const r = await admin('/v1/admin/analytics/revenue?by=category&window=hour&currency=USD');
    assert.is(r.status, 200, JSON.stringify(r.body));
    return new Map<string, number>(r.body.items.map((i: { category: string; revenue: number }) => [i.category, i.revenue]));
  };
  const before = await revenueOf();
  const u = await signupBuyer(s.url);
  // Books 900 and seeds 2 × 200: subtotal 1,300, half off, 100 points: 550 paid for the goods.
  const order = await call(s.url, 'POST', '/v1/checkout', {
    token: u.token, body: { items: [{ sku: 'AN-5', qty: 1 }, { sku: 'AN-8', qty: 2 }], couponCode: code, usePoints: 100 },
  });
  assert.is(order.status, 201, JSON.stringify(order.body));
  assert.equal([order.body.subtotal, order.body.discount, order.body.pointsUsed], [1300, 650, 100]);
  assert.is(order.body.total, 550 + order.body.shipping);
  const paid = await call(s.url, 'POST', `/v1/orders/${order.body.orderId}/pay`, { token: u.token, body: { paymentMethod: { type: 'card', token: 'tok_ok' } } });
  assert.is(paid.status, 200, JSON.stringify(paid.body));

  const delta = (now: Map<string, number>, category: string) => (now.get(category) ?? 0) - (before.get(category) ?? 0);
  const after = await eventually(async () => {
    const now = await revenueOf();
    return delta(now, 'garden/seeds') !== 0 ? now : undefined;
  }, 5000);
  // 550 × 900/1,300 = 380.8 and 550 × 400/1,300 = 169.2: the leftover unit goes to books.
  assert.equal([delta(after, 'books/fiction'), delta(after, 'garden/seeds')], [381, 169]);

  const refund = await call(s.url, 'POST', `/v1/orders/${order.body.orderId}/refund`, { token: u.token });
  assert.is(refund.status, 200, JSON.stringify(refund.body));
  const back = await eventually(async () => {
    const now = await revenueOf();
    return delta(now, 'garden/seeds') === 0 ? now : undefined;
  }, 5000);
  assert.is(delta(back, 'books/fiction'), 0);
});

test.run();
