// Search beyond the basics, over HTTP against node and gateway processes on the real NATS,
// Redis and MariaDB: attribute filters and facets, totals that count only what can be
// bought, delivery estimates from a country and postal code without a token,
// completions, and sort=popular from paid orders (seeded from MariaDB, then counted from
// the order events).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Redis } from 'ioredis';
import { logisticsChangedSubject } from '../actors/logistics/index.ts';
import { popularityKey, popularitySeededKey, refreshPopularity } from '../actors/catalog/index.ts';
import { AnalyticsKeys } from '../actors/analytics/keys.ts';
import { bucketOf } from '../actors/analytics/windows.ts';
import { loadLogistics } from '../app/catalog-load.ts';
import { createPool, type Pool } from '../stores/mysql/index.ts';
import { eventually, natsConnection, redisUrl } from './support/harness.ts';
import { adminToken, call, signup, startStack, type Stack } from './support/gateway.ts';

let s: Stack;
let pool: Pool;
test.before(async () => {
  s = await startStack('searchfeat');
  pool = createPool(s.env.mysqlUrl, { connectionLimit: 2 });
  await loadLogistics(pool);
  const nc = await natsConnection();
  nc.publish(logisticsChangedSubject(s.env.cluster));
  await nc.flush();
  await nc.close();
});
test.after(async () => {
  await pool?.end();
  await s?.stop();
});

interface P { sku: string; title: string; category: string; price: number; attributes?: Record<string, unknown>; brand?: string }

async function onboard(products: P[]) {
  const body = products.map((p) => JSON.stringify({ brand: 'Acme', currency: 'USD', supplierId: 'sup-1', attributes: {}, ...p })).join('\n');
  const r = await call(s.url, 'POST', '/v1/admin/products', { token: adminToken, headers: { 'content-type': 'application/x-ndjson' }, body });
  assert.is(r.status, 202, JSON.stringify(r.body));
}

async function stock(sku: string, onHand: number, warehouseId = 'wh-east') {
  const r = await call(s.url, 'PUT', `/v1/admin/inventory/${sku}`, { token: adminToken, body: { warehouses: [{ warehouseId, onHand }] } });
  assert.is(r.status, 200, JSON.stringify(r.body));
}

const search = (query: string, token?: string) => call(s.url, 'GET', `/v1/search?${query}`, token ? { token } : {});
const skusOf = (r: { body: { items: { sku: string }[] } }) => r.body.items.map((i) => i.sku);

test('attr.<name>=<value> filters (repeatable) and attribute facets', async () => {
  const shirts = [
    { sku: 'SH-1', title: 'Harbor Oxford Shirt', category: 'fashion/shirts', price: 3000, attributes: { color: 'blue', size: ['M', 'L'] } },
    { sku: 'SH-2', title: 'Harbor Linen Shirt', category: 'fashion/shirts', price: 3200, attributes: { color: 'white', size: ['S', 'M'] } },
    { sku: 'SH-3', title: 'Harbor Flannel Shirt', category: 'fashion/shirts', price: 3400, attributes: { color: 'red', size: ['L'] } },
  ];
  for (const p of shirts) await stock(p.sku, 10);
  await onboard(shirts);
  await eventually(async () => (await search('q=harbor')).body.total === 3, 5000, 50);

  const all = await search('q=harbor');
  assert.equal(all.body.facets.attributes.color, { blue: 1, white: 1, red: 1 });
  assert.equal(all.body.facets.attributes.size, { M: 2, L: 2, S: 1 });
  const blue = await search('q=harbor&attr.color=blue');
  assert.equal(skusOf(blue), ['SH-1']);
  assert.is(blue.body.total, 1);
  const either = await search('q=harbor&attr.color=blue&attr.color=RED&sort=price_asc');
  assert.equal(skusOf(either), ['SH-1', 'SH-3'], 'values of one attribute are alternatives, case-insensitive');
  const both = await search('q=harbor&attr.color=blue&attr.color=red&attr.size=M');
  assert.equal(skusOf(both), ['SH-1'], 'different attributes all apply');
  assert.equal(both.body.facets.attributes.size, { M: 1, L: 1 });
  // Names are case-insensitive too, whichever spelling the node met first: an audit saw
  // attr.FABRIC answered first leave attr.fabric empty for every shopper after.
  assert.equal(skusOf(await search('q=harbor&attr.COLOR=red')), ['SH-3']);
  assert.equal(skusOf(await search('q=harbor&attr.color=red')), ['SH-3']);
  assert.equal(skusOf(await search('q=harbor&attr.Color=blue&attr.color=RED&sort=price_asc')), ['SH-1', 'SH-3'], 'one name in two spellings: alternatives');

  // Names that are Object's own members are names like any other: no product has them.
  for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
    const odd = await search(`q=harbor&attr.${name}=blue`);
    assert.is(odd.status, 200, `attr.${name}: ${JSON.stringify(odd.body)}`);
    assert.equal(skusOf(odd), [], `attr.${name} matches nothing`);
  }
  // An empty value is as if not sent (API.md's rule for catalog parameters sent empty):
  // alone it filters nothing, beside a value it leaves that value's filter.
  const blank = await search('q=harbor&attr.color=');
  assert.is(blank.status, 200, JSON.stringify(blank.body));
  assert.equal([blank.body.total, skusOf(blank)], [all.body.total, skusOf(all)]);
  assert.equal(skusOf(await search('q=harbor&attr.color=blue&attr.color=')), ['SH-1']);
  const bad = await search('q=harbor&attr.co%20lor=blue');
  assert.is(bad.status, 422);
  assert.is(bad.body.error.details[0].field, 'attr.co lor');
});

test('stock loaded as rows (the demo, a bulk import) stands in search as on the product page: low, in stock, out of stock', async () => {
  // As the demo loader writes stock: rows, so no inventory event ever says how it stands.
  await pool.query('INSERT INTO inventory (sku, version, on_hand, reserved) VALUES (?, 0, 3, 0), (?, 0, 50, 0)', ['RW-LOW', 'RW-MANY']);
  await pool.query('INSERT INTO inventory_stock (sku, warehouse_id, on_hand, reserved) VALUES (?, ?, 3, 0), (?, ?, 50, 0)', ['RW-LOW', 'wh-east', 'RW-MANY', 'wh-east']);
  // RW-NONE first: the index takes products in order, so once the last is found it was seen.
  await onboard(['RW-NONE', 'RW-LOW', 'RW-MANY'].map((sku, i) => ({ sku, title: `Rowan Lantern ${sku}`, category: 'home/lanterns', price: sku === 'RW-NONE' ? 1002 : 1000 + i })));
  const found = await eventually(async () => {
    const r = await search('q=rowan%20lantern&sort=price_asc');
    return r.body.total === 2 ? r : undefined;
  }, 5000, 50);
  const stood = found.body.items.map((i: { sku: string; stock: { status: string } }) => [i.sku, i.stock.status]);
  assert.equal(stood, [['RW-LOW', 'low'], ['RW-MANY', 'in_stock']], 'RW-NONE, without stock, is left out');
  assert.is((await call(s.url, 'GET', '/v1/products/RW-LOW')).body.stock.status, 'low', 'as the product page says');
});

test('total and facets count only what is in stock', async () => {
  const items = Array.from({ length: 6 }, (_, i) => ({ sku: `TC-${i}`, title: `Tidecraft Mug ${i}`, category: 'home/kitchen/mugs', price: 900 + i, brand: i < 3 ? 'Tide' : 'Craft' }));
  for (const p of items) await stock(p.sku, 5);
  await onboard(items);
  await eventually(async () => (await search('q=tidecraft')).body.total === 6, 5000, 50);
  await stock('TC-0', 0);
  await stock('TC-1', 0);
  const r = await eventually(async () => {
    const x = await search('q=tidecraft&limit=2');
    return x.body.total === 4 ? x : undefined;
  }, 5000, 50);
  assert.equal(r.body.facets.brand, { Tide: 1, Craft: 3 });
  assert.is(r.body.items.length, 2);
  assert.ok(r.body.nextCursor, 'a second page exists');
});

test('country and postalCode give delivery estimates and filtering without a token', async () => {
  await stock('DP-EAST', 9, 'wh-east');
  await stock('DP-EU', 9, 'wh-eu');
  await onboard([
    { sku: 'DP-EAST', title: 'Quillon Desk Lamp East', category: 'home/decor/lighting', price: 5000 },
    { sku: 'DP-EU', title: 'Quillon Desk Lamp Europe', category: 'home/decor/lighting', price: 5100 },
  ]);
  await eventually(async () => (await search('q=quillon')).body.total === 2, 5000, 50);
  const ny = await eventually(async () => {
    const x = await search('q=quillon&country=us&postalCode=10001');
    return x.body.items.length === 1 ? x : undefined;
  }, 5000, 50);
  assert.equal(skusOf(ny), ['DP-EAST']);
  assert.is(ny.body.total, 1, 'the undeliverable one is not counted either');
  assert.is(ny.body.items[0].delivery.days, 1);
  const de = await eventually(async () => {
    const x = await search('q=quillon&country=DE');
    return x.body.items.length === 1 ? x : undefined;
  }, 5000, 50);
  assert.equal(skusOf(de), ['DP-EU']);
  const detail = await call(s.url, 'GET', '/v1/products/DP-EAST?country=US&postalCode=10001');
  assert.is(detail.body.delivery.days, 1);
  assert.is((await search('q=quillon&postalCode=10001')).status, 422, 'a postal code needs a country');
  assert.is((await search('q=quillon&country=USA')).status, 422);
  // Two letters no country has: refused as an address refuses them, not an empty 200.
  assert.is((await search('q=quillon&country=XX')).status, 422);
  assert.is((await call(s.url, 'GET', '/v1/products/DP-EAST?country=XX')).status, 422);
});

test('API.md\'s query templates sent as written, every parameter empty, are the unfiltered first page', async () => {
  // An empty category, brand, sort, country or postalCode had been 422 validation_failed,
  // where an empty q, minPrice, limit or cursor was already as if not sent.
  await stock('ET-1', 4);
  await onboard([{ sku: 'ET-1', title: 'Vellichor Empty Template Mug', category: 'home/kitchen', price: 1200 }]);
  await eventually(async () => (await search('q=vellichor')).body.total === 1, 5000, 50);
  const plain = await search('q=vellichor');
  const all = await search('q=vellichor&category=&brand=&minPrice=&maxPrice=&sort=&cursor=&limit=&country=&postalCode=');
  assert.is(all.status, 200, JSON.stringify(all.body));
  assert.equal([all.body.total, skusOf(all)], [plain.body.total, skusOf(plain)]);
  const plainList = await call(s.url, 'GET', '/v1/products');
  const list = await call(s.url, 'GET', '/v1/products?category=&cursor=&limit=&sort=');
  assert.is(list.status, 200, JSON.stringify(list.body));
  assert.equal(skusOf(list), skusOf(plainList));
  const detail = await call(s.url, 'GET', '/v1/products/ET-1?country=&postalCode=');
  assert.is(detail.status, 200, JSON.stringify(detail.body));
  // A value that is there still has to be right.
  const wrong = await search('q=vellichor&sort=cheapest');
  assert.equal([wrong.status, wrong.body.error.code], [422, 'validation_failed']);
});

test('suggest completes queries, categories and product titles as the user types', async () => {
  await stock('SG-1', 5);
  // SG-2 has no stock: a search cannot find it, so it is not suggested either.
  // SG-2 first: the index takes products in order, so once SG-1 is found SG-2 was seen.
  await onboard([
    { sku: 'SG-2', title: 'Xylophone Mini', category: 'toys/musical-instruments', price: 900 },
    { sku: 'SG-1', title: 'Xylophone Deluxe Kit', category: 'toys/musical-instruments', price: 2500 },
  ]);
  await eventually(async () => (await search('q=xylophone')).body.total === 1, 5000, 50);
  const r = await call(s.url, 'GET', '/v1/search/suggest?q=xylo');
  assert.is(r.status, 200);
  assert.ok(r.body.items.some((i: { text: string; kind: string }) => i.kind === 'product' && i.text === 'Xylophone Deluxe Kit'), JSON.stringify(r.body));
  assert.not.ok(r.body.items.some((i: { text: string }) => i.text === 'Xylophone Mini'), JSON.stringify(r.body));
  const cat = await call(s.url, 'GET', '/v1/search/suggest?q=musical');
  assert.ok(cat.body.items.some((i: { text: string; kind: string }) => i.kind === 'category' && i.text === 'toys/musical-instruments'), JSON.stringify(cat.body));
  // The searches above ("xylophone") found something: they complete as queries.
  await eventually(async () => {
    const q = await call(s.url, 'GET', '/v1/search/suggest?q=XYL');
    return q.body.items[0]?.kind === 'query' && q.body.items[0].text === 'xylophone';
  }, 5000, 100);
  assert.is((await call(s.url, 'GET', '/v1/search/suggest')).status, 400);
  assert.is((await call(s.url, 'GET', `/v1/search/suggest?q=${'x'.repeat(101)}`)).status, 422);
});

test('sort=popular puts the SKUs sold most in 7 days first, seeded from MariaDB once and counted from events after', async () => {
  const items = ['PO-1', 'PO-2', 'PO-3'].map((sku, i) => ({ sku, title: `Pomelo Juicer ${i}`, category: 'home/kitchen/juicers', price: 4000 + i }));
  for (const p of items) await stock(p.sku, 20);
  await onboard(items);
  await eventually(async () => (await search('q=pomelo')).body.total === 3, 5000, 50);
  const u = await signup(s.url, 'Juicer Fan');
  await call(s.url, 'POST', '/v1/me/addresses', { token: u.token, body: { line1: '1 Main St', city: 'Boston', region: 'MA', country: 'US', postalCode: '02101', isDefault: true } });
  const buy = async (sku: string, qty: number) => {
    const order = await call(s.url, 'POST', '/v1/checkout', { token: u.token, body: { items: [{ sku, qty }] } });
    assert.is(order.status, 201, JSON.stringify(order.body));
    const paid = await call(s.url, 'POST', `/v1/orders/${order.body.orderId}/pay`, { token: u.token, body: { paymentMethod: { type: 'card', token: 'tok_ok' } } });
    assert.is(paid.status, 200, JSON.stringify(paid.body));
  };
  await buy('PO-3', 3);
  await buy('PO-2', 1);
  const redis = new Redis(redisUrl);
  const today = new AnalyticsKeys(s.env.cluster).skuSold('d', bucketOf('d', Date.now()));
  const counted = (sku: string) => redis.zscore(today, sku).then(Number);
  const units = async () => {
    const flat = await redis.zrange(popularityKey(s.env.cluster), 0, -1, 'WITHSCORES');
    return Object.fromEntries(flat.flatMap((v, i) => (i % 2 === 0 ? [[v, Number(flat[i + 1])]] : [])));
  };
  try {
    // The order analytics counted both orders. The node's job seeded the daily counts from
    // MariaDB when it started (nothing then); seeding again, as for a Redis that lost its
    // data, sets the same days' counts from the orders: set, not added to, or they would
    // count twice.
    await eventually(async () => (await counted('PO-3')) === 3 && (await counted('PO-2')) === 1, 8000, 50);
    assert.is(await redis.del(popularitySeededKey(s.env.cluster)), 1, 'seeded when the node started');
    assert.is(await refreshPopularity(pool, redis, s.env.cluster), 2);
    assert.is(await redis.exists(popularitySeededKey(s.env.cluster)), 1);
    assert.equal(await units(), { 'PO-3': 3, 'PO-2': 1 });
    const r = await eventually(async () => {
      const x = await search('q=pomelo&sort=popular');
      return skusOf(x)[0] === 'PO-3' ? x : undefined;
    }, 8000, 200);
    assert.equal(skusOf(r), ['PO-3', 'PO-2', 'PO-1']);

    // After the seed, sales reach it through the order events alone.
    await buy('PO-1', 5);
    await eventually(async () => (await counted('PO-1')) === 5, 8000, 50);
    assert.is(await refreshPopularity(pool, redis, s.env.cluster), 3);
    assert.equal(await units(), { 'PO-1': 5, 'PO-3': 3, 'PO-2': 1 });
    const again = await eventually(async () => {
      const x = await search('q=pomelo&sort=popular');
      return skusOf(x)[0] === 'PO-1' ? x : undefined;
    }, 8000, 200);
    assert.equal(skusOf(again), ['PO-1', 'PO-3', 'PO-2']);
  } finally {
    redis.disconnect();
  }
});

test('operators split a city into delivery clusters by postal prefix and edit routes; estimates follow', async () => {
  const admin = (method: string, path: string, body?: unknown) => call(s.url, method, path, { token: adminToken, ...(body === undefined ? {} : { body }) });
  await stock('NYC-1', 5, 'wh-east');
  await onboard([{ sku: 'NYC-1', title: 'Gotham Bagel Toaster', category: 'home/kitchen/appliances', price: 3900 }]);
  await eventually(async () => (await search('q=gotham&country=US&postalCode=10001')).body.items[0]?.delivery?.days === 1, 5000, 50);

  const cluster = await admin('PUT', '/v1/admin/logistics/clusters/nyc-manhattan', { name: 'Manhattan', country: 'us', postalPrefixes: ['100', '101'] });
  assert.is(cluster.status, 200, JSON.stringify(cluster.body));
  assert.equal(cluster.body, { clusterId: 'nyc-manhattan', name: 'Manhattan', country: 'US', postalPrefixes: ['100', '101'] });
  const route = await admin('PUT', '/v1/admin/logistics/routes/wh-east/nyc-manhattan', { transitDays: 0 });
  assert.is(route.status, 200, JSON.stringify(route.body));
  // Same-day to Manhattan; Brooklyn (112xx) stays in the east cluster at one day.
  await eventually(async () => (await search('q=gotham&country=US&postalCode=10001')).body.items[0]?.delivery?.days === 0, 5000, 50);
  assert.is((await search('q=gotham&country=US&postalCode=11201')).body.items[0].delivery.days, 1);
  const u = await signup(s.url, 'Manhattanite');
  const addr = await call(s.url, 'POST', '/v1/me/addresses', { token: u.token, body: { line1: '350 5th Ave', city: 'New York', region: 'NY', country: 'US', postalCode: '10118' } });
  assert.is(addr.body.cluster, 'nyc-manhattan');

  const view = await admin('GET', '/v1/admin/logistics');
  assert.ok(view.body.routes.some((r: { warehouseId: string; clusterId: string; transitDays: number }) => r.warehouseId === 'wh-east' && r.clusterId === 'nyc-manhattan' && r.transitDays === 0));
  assert.equal(view.body.clusters.find((c: { clusterId: string }) => c.clusterId === 'nyc-manhattan').postalPrefixes, ['100', '101']);

  assert.is((await admin('PUT', '/v1/admin/logistics/clusters/uptown', { name: 'Uptown', country: 'US', postalPrefixes: ['100'] })).status, 409, 'a prefix belongs to one cluster');
  const nowhere = await admin('PUT', '/v1/admin/logistics/clusters/nowhere', { name: 'Nowhere', country: 'XX', postalPrefixes: ['999'] });
  assert.equal([nowhere.status, nowhere.body.error.details[0].field], [422, 'country'], 'a cluster is for an assigned ISO 3166 country');
  assert.is((await admin('PUT', '/v1/admin/logistics/routes/wh-nowhere/nyc-manhattan', { transitDays: 1 })).status, 422);
  assert.is((await admin('PUT', '/v1/admin/logistics/routes/wh-east/nowhere', { transitDays: 1 })).status, 422);
  assert.is((await admin('PUT', '/v1/admin/logistics/routes/wh-east/nyc-manhattan', { transitDays: 'soon' })).status, 400);
  assert.is((await admin('PUT', '/v1/admin/logistics/warehouses/wh-bronx', { name: 'Bronx', region: 'us-east', location: { lat: 95, lon: 0 } })).status, 422);
  assert.is((await call(s.url, 'GET', '/v1/admin/logistics', { token: u.token })).status, 403);

  const gone = await admin('DELETE', '/v1/admin/logistics/routes/wh-east/nyc-manhattan');
  assert.is(gone.status, 204);
  await eventually(async () => (await search('q=gotham&country=US&postalCode=10001')).body.total === 0, 5000, 50);
  assert.is((await admin('DELETE', '/v1/admin/logistics/routes/wh-east/nyc-manhattan')).status, 404);
});

test('two admins giving one postal prefix to two clusters at once: one 200, one 409 zone_taken, never both, never a 5xx', async () => {
  const admin = (method: string, path: string, body?: unknown) => call(s.url, method, path, { token: adminToken, ...(body === undefined ? {} : { body }) });
  for (let round = 0; round < 6; round++) {
    const prefix = `97${round}`;
    // Both had passed the check before either wrote: both 200, the prefix the later one's.
    // Or they deadlocked in the zones' DELETE and upsert (a 500).
    const answers = await Promise.all(['a', 'b', 'c'].map((x) => admin('PUT', `/v1/admin/logistics/clusters/race-${round}-${x}`, { name: `Race ${x}`, country: 'US', postalPrefixes: [prefix, `98${round}${x === 'a' ? 1 : 2}`] })));
    const statuses = answers.map((a) => a.status).sort();
    assert.equal(statuses, [200, 409, 409], JSON.stringify(answers.map((a) => a.body)));
    const won = answers.find((a) => a.status === 200)!.body as { clusterId: string };
    for (const lost of answers.filter((a) => a.status === 409)) assert.is(lost.body.error.code, 'zone_taken');
    const view = await admin('GET', '/v1/admin/logistics');
    const owners = (view.body.clusters as { clusterId: string; postalPrefixes: string[] }[]).filter((c) => c.postalPrefixes.includes(prefix)).map((c) => c.clusterId);
    assert.equal(owners, [won.clusterId], 'the prefix is the one answered 200');
    // A 409 changed nothing: the losers' clusters were not created either.
    const raced = (view.body.clusters as { clusterId: string }[]).filter((c) => c.clusterId.startsWith(`race-${round}-`)).map((c) => c.clusterId);
    assert.equal(raced, [won.clusterId], 'only the cluster answered 200 exists');
  }
});

test.run();
