// The catalog end to end over HTTP against node and gateway processes on the real NATS,
// Redis and MariaDB: onboarding, fuzzy search, filters/sorts/facets, the out-of-stock set,
// delivery filtering and ETAs, bulk NDJSON with bad lines, and search events.
// run-tests: alone (it asserts a product is searchable, and a sold-out one gone, within a second)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StringCodec } from 'nats';
import { logisticsChangedSubject } from '../actors/logistics/index.ts';
import { loadLogistics } from '../app/catalog-load.ts';
import { createPool, type Pool } from '../stores/mysql/index.ts';
import { eventually, natsConnection, sleep } from './support/harness.ts';
import { adminToken, call, signup, startStack, type Stack } from './support/gateway.ts';

let s: Stack;
let pool: Pool;
test.before(async () => {
  s = await startStack('catflow');
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

interface P { sku: string; title: string; brand: string; category: string; price: number; currency?: string; supplierId?: string; attributes?: Record<string, unknown> }
const full = (p: P) => ({ currency: 'USD', supplierId: 'sup-1', attributes: {}, ...p });

async function onboard(products: P[]) {
  const r = await call(s.url, 'POST', '/v1/admin/products', {
    token: adminToken, headers: { 'content-type': 'application/x-ndjson' }, body: products.map((p) => JSON.stringify(full(p))).join('\n'),
  });
  assert.is(r.status, 202, JSON.stringify(r.body));
  assert.is(r.body.accepted, products.length);
}

async function stock(sku: string, onHand: number, warehouseId = 'wh-east') {
  const r = await call(s.url, 'PUT', `/v1/admin/inventory/${sku}`, { token: adminToken, body: { warehouses: [{ warehouseId, onHand }] } });
  assert.is(r.status, 200, JSON.stringify(r.body));
}

const search = (query: string, token?: string) => call(s.url, 'GET', `/v1/search?${query}`, token ? { token } : {});
const skusOf = (r: { body: { items: { sku: string }[] } }) => r.body.items.map((i) => i.sku);

test('an onboarded product is searchable and listed in its category within a second', async () => {
  await stock('ONB-1', 5);
  const r = await call(s.url, 'POST', '/v1/admin/products', { token: adminToken, body: full({ sku: 'ONB-1', title: 'Zephyr Quantum Kettle', brand: 'Hearthly', category: 'home/kitchen/appliances', price: 4599, attributes: { watts: 2000, color: 'steel' } }) });
  assert.is(r.status, 202);
  const started = Date.now();
  // A mistyped field is a 400, a well-typed one out of the rules a 422, each named.
  const typed = await call(s.url, 'POST', '/v1/admin/products', { token: adminToken, body: full({ sku: 'ONB-X', title: 'X', brand: 'X', category: 'home/kitchen/appliances', price: '10' as unknown as number }) });
  assert.equal([typed.status, typed.body.error.code, typed.body.error.details[0].field], [400, 'invalid_request', 'price']);
  const negative = await call(s.url, 'POST', '/v1/admin/products', { token: adminToken, body: full({ sku: 'ONB-X', title: 'X', brand: 'X', category: 'home/kitchen/appliances', price: -1 }) });
  assert.equal([negative.status, negative.body.error.code, negative.body.error.details[0].field], [422, 'validation_failed', 'price']);
  await eventually(async () => skusOf(await search('q=zephyr%20kettle')).includes('ONB-1'), 3000, 20);
  await eventually(async () => skusOf(await call(s.url, 'GET', '/v1/products?category=home/kitchen')).includes('ONB-1'), 3000, 20);
  const ms = Date.now() - started;
  assert.ok(ms < 1000, `visible after ${ms} ms`);
  const detail = await eventually(async () => {
    const d = await call(s.url, 'GET', '/v1/products/ONB-1');
    return d.status === 200 ? d : undefined;
  }, 3000, 20);
  assert.equal(detail.body, {
    sku: 'ONB-1', title: 'Zephyr Quantum Kettle', brand: 'Hearthly', category: 'home/kitchen/appliances', price: 4599, currency: 'USD',
    attributes: { watts: 2000, color: 'steel' }, stock: { status: 'low' },
  });
  // A search item is the product with its score (API.md), its stock too.
  const found = (await search('q=zephyr%20kettle')).body.items.find((i: { sku: string }) => i.sku === 'ONB-1');
  assert.equal(found.stock, { status: 'low' });
  const tree = await call(s.url, 'GET', '/v1/categories');
  const home = tree.body.items.find((c: { slug: string }) => c.slug === 'home');
  assert.is(home.children[0].path, 'home/kitchen');
  assert.ok(home.count >= 1);
  assert.is((await call(s.url, 'GET', '/v1/products/NOPE-1')).status, 404);
});

test('fuzzy search: "wireles headphnes" finds the wireless headphones', async () => {
  const items = [
    { sku: 'FZ-1', title: 'Auralis Wireless Headphones', brand: 'Auralis', category: 'electronics/audio/headphones', price: 12_900 },
    { sku: 'FZ-2', title: 'Sonic Wired Studio Headphones', brand: 'Sonic', category: 'electronics/audio/headphones', price: 8_900 },
    { sku: 'FZ-3', title: 'Voltra Wireless Speaker', brand: 'Voltra', category: 'electronics/audio/speakers', price: 5_900 },
  ];
  for (const p of items) await stock(p.sku, 50);
  await onboard(items);
  const r = await eventually(async () => {
    const x = await search('q=wireles%20headphnes');
    return x.body.items.length > 0 ? x : undefined;
  }, 3000, 20);
  assert.equal(skusOf(r), ['FZ-1']);
  assert.ok(r.body.items[0].score > 0);
  assert.equal(r.body.items[0].stock, { status: 'in_stock' }, '50 units: in stock');
  assert.is(r.body.items[0].title, 'Auralis Wireless Headphones');
});

test('filters, sorts and facets give correct counts', async () => {
  const brands = ['Peakform', 'Trailhead', 'Ironside'];
  const first = Array.from({ length: 12 }, (_, i) => ({
    sku: `FS-${String(i).padStart(2, '0')}`, title: `Summit Trail Gear ${i}`, brand: brands[i % 3]!,
    category: i < 8 ? 'sports/outdoor/hiking' : 'sports/outdoor/camping', price: 1_000 + i * 500,
  }));
  for (const p of first) await stock(p.sku, 100);
  await onboard(first.slice(0, 10));
  await sleep(20);
  await onboard(first.slice(10));
  await eventually(async () => (await search('q=summit')).body.total === 12, 3000, 20);

  const all = await search('q=summit&limit=100');
  assert.equal(all.body.facets.brand, { Peakform: 4, Trailhead: 4, Ironside: 4 });
  assert.equal(all.body.facets.category, { 'sports/outdoor/hiking': 8, 'sports/outdoor/camping': 4 });

  const camping = await search('q=summit&category=sports/outdoor/camping&sort=price_desc');
  assert.equal(skusOf(camping), ['FS-11', 'FS-10', 'FS-09', 'FS-08']);
  assert.is(camping.body.total, 4);
  assert.equal(camping.body.facets.brand, { Peakform: 1, Trailhead: 1, Ironside: 2 });

  const brand = await search('q=summit&brand=Peakform&sort=price_asc');
  assert.equal(skusOf(brand), ['FS-00', 'FS-03', 'FS-06', 'FS-09']);
  assert.equal(brand.body.facets.category, { 'sports/outdoor/hiking': 3, 'sports/outdoor/camping': 1 });

  const range = await search('q=summit&minPrice=2000&maxPrice=3500&sort=price_asc');
  assert.equal(skusOf(range), ['FS-02', 'FS-03', 'FS-04', 'FS-05']);
  assert.is(range.body.total, 4);

  const newest = await search('q=summit&sort=newest&limit=3');
  assert.equal(skusOf(newest).slice(0, 2), ['FS-10', 'FS-11'], 'the later onboarding comes first');

  const pageA = await search('q=summit&sort=price_asc&limit=5');
  const pageB = await search(`q=summit&sort=price_asc&limit=5&cursor=${pageA.body.nextCursor}`);
  const pageC = await search(`q=summit&sort=price_asc&limit=5&cursor=${pageB.body.nextCursor}`);
  assert.equal([...skusOf(pageA), ...skusOf(pageB), ...skusOf(pageC)], first.map((p) => p.sku));
  assert.is(pageC.body.nextCursor, null);
  // A cursor pages through the list it came from: with another query or sort it is refused,
  // not answered with a page from the middle of some other list. A page size of its own is fine.
  for (const other of ['q=glacier&sort=price_asc', 'q=summit&sort=price_desc', 'q=summit&sort=price_asc&brand=Peakline']) {
    const r = await search(`${other}&limit=5&cursor=${pageA.body.nextCursor}`);
    assert.equal([r.status, r.body.error?.code], [400, 'invalid_cursor'], other);
  }
  assert.equal(skusOf(await search(`q=summit&sort=price_asc&limit=10&cursor=${pageA.body.nextCursor}`)), first.slice(5).map((p) => p.sku));

  assert.is((await search('sort=cheapest')).status, 422);
  assert.is((await search('minPrice=abc')).status, 400);
  assert.is((await search('minPrice=500&maxPrice=100')).status, 422);
  // A cursor this API never gave out is 400 invalid_cursor, as on /v1/orders (gateway/paging.ts).
  assert.is((await search('cursor=garbage')).status, 400);
});

test('a sold-out SKU leaves search within a second and comes back on restock; pages stay full', async () => {
  const items = Array.from({ length: 25 }, (_, i) => ({ sku: `GL-${String(i).padStart(2, '0')}`, title: `Glacier Flask ${i}`, brand: 'Flowfit', category: 'sports/running', price: 2_000 + i }));
  for (const p of items) await stock(p.sku, 3);
  await onboard(items);
  const before = await eventually(async () => {
    const r = await search('q=glacier&sort=price_asc&limit=10');
    return r.body.total === 25 && r.body.items.length === 10 ? r : undefined;
  }, 3000, 20);
  assert.equal(skusOf(before), items.slice(0, 10).map((p) => p.sku));

  const soldOut = ['GL-01', 'GL-04', 'GL-05'];
  const t0 = Date.now();
  await Promise.all(soldOut.map((sku) => stock(sku, 0)));
  await eventually(async () => !skusOf(await search('q=glacier&sort=price_asc&limit=10')).some((x) => soldOut.includes(x)), 3000, 20);
  const goneMs = Date.now() - t0;
  assert.ok(goneMs < 1000, `gone after ${goneMs} ms`);

  const pages: string[][] = [];
  let cursor: string | null = null;
  do {
    const r = await search(`q=glacier&sort=price_asc&limit=10${cursor ? `&cursor=${cursor}` : ''}`);
    pages.push(skusOf(r));
    cursor = r.body.nextCursor;
  } while (cursor);
  assert.equal(pages.map((p) => p.length), [10, 10, 2], 'pages are filled from further hits');
  assert.equal(pages.flat(), items.map((p) => p.sku).filter((x) => !soldOut.includes(x)));
  assert.is((await call(s.url, 'GET', '/v1/products/GL-04')).body.stock.status, 'out_of_stock');

  const t1 = Date.now();
  await stock('GL-04', 7);
  await eventually(async () => skusOf(await search('q=glacier&sort=price_asc&limit=10')).includes('GL-04'), 3000, 20);
  const backMs = Date.now() - t1;
  assert.ok(backMs < 1000, `back after ${backMs} ms`);
});

test('a SKU that sells out after its page was shown shifts no later product past the shopper', async () => {
  const items = Array.from({ length: 14 }, (_, i) => ({ sku: `PL-${String(i).padStart(2, '0')}`, title: `Pine Lantern ${i}`, brand: 'Lumen', category: 'home/decor/lighting', price: 5_000 + i }));
  for (const p of items) await stock(p.sku, 3);
  await onboard(items);
  const first = await eventually(async () => {
    const r = await search('q=pine%20lantern&sort=price_asc&limit=5');
    return r.body.total === 14 && r.body.items.length === 5 ? r : undefined;
  }, 3000, 20);
  assert.equal(skusOf(first), items.slice(0, 5).map((p) => p.sku));
  // PL-01, already shown, sells out; the next page is asked for once search counts it gone.
  await stock('PL-01', 0);
  await eventually(async () => (await search('q=pine%20lantern&sort=price_asc&limit=5')).body.total === 13, 3000, 20);
  const second = await search(`q=pine%20lantern&sort=price_asc&limit=5&cursor=${first.body.nextCursor}`);
  assert.equal(skusOf(second), items.slice(5, 10).map((p) => p.sku), 'goes on after the last product shown (an offset would skip PL-05)');
});

test('delivery: undeliverable products are hidden for the address\'s cluster, deliverable ones show an ETA', async () => {
  await stock('DL-EAST', 9, 'wh-east');
  await stock('DL-EU', 9, 'wh-eu');
  await onboard([
    { sku: 'DL-EAST', title: 'Nordic Lantern East', brand: 'Lumen', category: 'home/decor/lighting', price: 3_000 },
    { sku: 'DL-EU', title: 'Nordic Lantern Europe', brand: 'Lumen', category: 'home/decor/lighting', price: 3_100 },
  ]);
  await eventually(async () => (await search('q=nordic%20lantern')).body.total === 2, 3000, 20);
  const anon = await search('q=nordic%20lantern&sort=price_asc');
  assert.equal(skusOf(anon), ['DL-EAST', 'DL-EU'], 'anonymous callers are not filtered by delivery');
  assert.is(anon.body.items[0].delivery, undefined);

  const ny = await signup(s.url, 'New Yorker');
  await call(s.url, 'POST', '/v1/me/addresses', { token: ny.token, body: { line1: '5 Fifth Ave', city: 'New York', region: 'NY', country: 'US', postalCode: '10001' } });
  const east = await eventually(async () => {
    const r = await search('q=nordic%20lantern', ny.token);
    return r.body.items.length === 1 ? r : undefined;
  }, 3000, 20);
  assert.equal(skusOf(east), ['DL-EAST'], 'wh-eu has no route to the east cluster');
  assert.is(east.body.items[0].delivery.days, 1);
  assert.match(east.body.items[0].delivery.eta, /^\d{4}-\d{2}-\d{2}$/);
  assert.equal((await call(s.url, 'GET', '/v1/products/DL-EAST', { token: ny.token })).body.delivery.days, 1);
  assert.is((await call(s.url, 'GET', '/v1/products/DL-EU', { token: ny.token })).body.delivery, undefined);

  const br = await signup(s.url, 'Paulista');
  const addr = await call(s.url, 'POST', '/v1/me/addresses', { token: br.token, body: { line1: 'Av. Paulista 1000', city: 'São Paulo', region: 'SP', country: 'BR', postalCode: '01310-100' } });
  assert.is(addr.body.cluster, 'intl-br');
  const none = await search('q=nordic%20lantern', br.token);
  assert.equal(none.body.items, [], 'no route reaches intl-br');
  const detail = await call(s.url, 'GET', '/v1/products/DL-EAST', { token: br.token });
  assert.is(detail.status, 200);
  assert.is(detail.body.delivery, undefined);

  // Stock moves to a warehouse that reaches Germany: the estimates follow.
  const de = await signup(s.url, 'Berliner');
  await call(s.url, 'POST', '/v1/me/addresses', { token: de.token, body: { line1: 'Unter den Linden 1', city: 'Berlin', region: 'BE', country: 'DE', postalCode: '10117' } });
  assert.equal(skusOf(await search('q=nordic%20lantern', de.token)), ['DL-EU']);
  await stock('DL-EAST', 4, 'wh-uk');
  await eventually(async () => skusOf(await search('q=nordic%20lantern&sort=price_asc', de.token)).length === 2, 3000, 20);
  const both = await search('q=nordic%20lantern&sort=price_asc', de.token);
  assert.equal(both.body.items.map((i: { delivery: { days: number } }) => i.delivery.days), [3, 1]);

  // Every unit that reaches Germany held by an order, though wh-east still has 30: the
  // estimate goes with them (the SKU's total hardly moved), and comes back with them.
  const put = await call(s.url, 'PUT', '/v1/admin/inventory/DL-EAST', { token: adminToken, body: { warehouses: [{ warehouseId: 'wh-east', onHand: 30 }, { warehouseId: 'wh-uk', onHand: 4 }] } });
  assert.equal([put.status, put.body.available], [200, 34]);
  const held = await call(s.url, 'POST', '/v1/checkout', { token: de.token, body: { items: [{ sku: 'DL-EAST', qty: 4 }] } });
  assert.is(held.status, 201, JSON.stringify(held.body));
  await eventually(async () => (await call(s.url, 'GET', '/v1/products/DL-EAST', { token: de.token })).body.delivery === undefined, 3000, 20);
  assert.equal(skusOf(await search('q=nordic%20lantern', de.token)), ['DL-EU']);
  assert.is((await call(s.url, 'POST', `/v1/orders/${held.body.orderId}/cancel`, { token: de.token })).status, 200);
  await eventually(async () => (await call(s.url, 'GET', '/v1/products/DL-EAST', { token: de.token })).body.delivery?.days === 3, 3000, 20);
});

test('bulk NDJSON imports the good lines and reports each bad one with its number and reason', async () => {
  const good = (sku: string) => JSON.stringify(full({ sku, title: `Bulk Item ${sku}`, brand: 'Brickly', category: 'toys/building', price: 1999 }));
  const bodyText = [
    good('BK-1'),
    '{"sku": "BK-2", "title": ',
    JSON.stringify(full({ sku: 'BK-3', title: '', brand: 'Brickly', category: 'toys/building', price: 10 })),
    '',
    JSON.stringify(full({ sku: 'BK-4', title: 'Bad price', brand: 'Brickly', category: 'toys/building', price: 12.5 })),
    JSON.stringify({ ...full({ sku: 'BK-5', title: 'Bad category', brand: 'Brickly', category: 'Toys & Games', price: 10 }) }),
    good('BK-6'),
  ].join('\n');
  const r = await call(s.url, 'POST', '/v1/admin/products', { token: adminToken, headers: { 'content-type': 'application/x-ndjson' }, body: bodyText });
  assert.is(r.status, 202);
  assert.is(r.body.accepted, 2);
  assert.equal(r.body.rejected.map((x: { line: number }) => x.line), [2, 3, 5, 6]);
  assert.is(r.body.rejected[0].reason, 'not valid JSON');
  assert.match(r.body.rejected[1].reason, /title/);
  assert.match(r.body.rejected[2].reason, /price/);
  assert.match(r.body.rejected[3].reason, /category/);
  await eventually(async () => (await call(s.url, 'GET', '/v1/products/BK-6')).status === 200, 3000, 20);
  assert.is((await call(s.url, 'GET', '/v1/products/BK-1')).status, 200);
  assert.is((await call(s.url, 'GET', '/v1/products/BK-3')).status, 404);
  const stored = await s.sql<{ sku: string; price: number }>('SELECT sku, price FROM products WHERE sku LIKE ? ORDER BY sku', ['BK-%']);
  assert.equal(stored.map((x) => [x.sku, x.price]), [['BK-1', 1999], ['BK-6', 1999]], 'the cart\'s products table is kept in sync');

  const allBad = await call(s.url, 'POST', '/v1/admin/products', { token: adminToken, headers: { 'content-type': 'application/x-ndjson' }, body: 'nope\n{}' });
  assert.is(allBad.status, 422);
  assert.is(allBad.body.error.details.length, 2);
  const one = await call(s.url, 'POST', '/v1/admin/products', { token: adminToken, body: { sku: 'X-1' } });
  assert.equal([one.status, one.body.error.code], [400, 'invalid_request'], 'missing fields: the wrong kind of thing');
  const user = await signup(s.url);
  assert.is((await call(s.url, 'POST', '/v1/admin/products', { token: user.token, body: full({ sku: 'X-2', title: 't', brand: 'b', category: 'toys', price: 1 }) })).status, 403);
  assert.is((await call(s.url, 'GET', '/v1/admin/warehouses', { token: adminToken })).body.items.length, 5);
});

test('every search publishes {query, filters, userId|deviceId, resultCount, at} to SEARCH', async () => {
  const nc = await natsConnection();
  const sc = StringCodec();
  const seen: Record<string, unknown>[] = [];
  const sub = nc.subscribe(`ev_${s.env.cluster}.search.>`, { callback: (_e, m) => seen.push(JSON.parse(sc.decode(m.data)) as Record<string, unknown>) });
  const user = await signup(s.url);
  await search('q=summit&brand=Peakform', user.token);
  await call(s.url, 'GET', '/v1/search?q=glacier', { headers: { 'x-device-id': 'dev-42' } });
  await eventually(() => seen.length >= 2, 3000, 20);
  sub.unsubscribe();
  await nc.close();
  const mine = seen.find((e) => e.userId === user.userId)!;
  assert.is(mine.query, 'summit');
  assert.is(mine.resultCount, 4);
  assert.is((mine.filters as { brand: string }).brand, 'Peakform');
  assert.ok(typeof mine.at === 'number');
  const anon = seen.find((e) => e.deviceId === 'dev-42')!;
  assert.is(anon.query, 'glacier');
});

test.run();
