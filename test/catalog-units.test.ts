// Pure parts of the catalog and logistics: NDJSON checking, the category tree, delivery
// estimates, cursors, and the demo generator's shape. No servers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InvalidError } from '../cluster/index.ts';
import { QueryTally, categoryTree, decodeCursor, encodeCursor, parseNdjson } from '../actors/catalog/index.ts';
import { EmbeddedSearchIndex, exactFacetLimit } from '../stores/search/index.ts';
import { matchesAttributes } from '../stores/search/port.ts';
import { estimate, etaOf, routeTable } from '../actors/logistics/index.ts';
import { demoCatalog, demoCategoryCount, demoStock } from '../app/catalog-demo.ts';
import { couponBody } from '../gateway/schemas-commerce.ts';
import { revenueQuery } from '../gateway/schemas-personalisation.ts';
import { clusterBody, warehouseBody } from '../gateway/routes/logistics-admin.ts';
import { normaliseQuery } from '../actors/analytics/index.ts';

test('parseNdjson: good lines kept, bad ones numbered with a reason, blank lines ignored', () => {
  const ok = { sku: 'A-1', title: 'T', brand: 'B', category: 'home', price: 1, currency: 'USD', supplierId: 's' };
  const { products, problems } = parseNdjson([JSON.stringify(ok), '', 'x', JSON.stringify({ ...ok, price: -1 }), JSON.stringify({ ...ok, extra: 1 })].join('\n'));
  assert.equal(products, [{ ...ok, attributes: {} }]);
  assert.equal(problems.map((p) => p.line), [3, 4, 5]);
  assert.match(problems[1]!.reason, /price/);
  assert.match(problems[2]!.reason, /extra/);
});

test('a currency is an ISO 4217 code: three capitals that no standard assigns (ABC) are refused in a product, a coupon and the revenue filter', () => {
  const ok = { sku: 'A-1', title: 'T', brand: 'B', category: 'home', price: 1, currency: 'USD', supplierId: 's' };
  const { products, problems } = parseNdjson([JSON.stringify(ok), JSON.stringify({ ...ok, sku: 'A-2', currency: 'ABC' }), JSON.stringify({ ...ok, sku: 'A-3', currency: 'JPY' })].join('\n'));
  assert.equal(products.map((p) => p.sku), ['A-1', 'A-3']);
  assert.equal(problems.map((p) => p.line), [2]);
  assert.match(problems[0]!.reason, /currency: not an ISO 4217/);
  const coupon = { code: 'C1', amountOff: 500, expiresAt: '2030-01-01T00:00:00Z', maxRedemptions: 1 };
  assert.ok(couponBody.safeParse({ ...coupon, currency: 'EUR' }).success);
  assert.not.ok(couponBody.safeParse({ ...coupon, currency: 'ABC' }).success);
  assert.ok(revenueQuery.safeParse({ currency: 'GBP' }).success);
  assert.not.ok(revenueQuery.safeParse({ currency: 'ABC' }).success);
});

test('names hold no control characters: a product title or brand, an attribute name, a warehouse or delivery cluster name with a NUL or an escape are refused', () => {
  const ok = { sku: 'A-1', title: 'T', brand: 'B', category: 'home', price: 1, currency: 'USD', supplierId: 's' };
  const lines = [{ ...ok, title: 'Ket\u0000tle' }, { ...ok, brand: '\u001b[31mB' }, { ...ok, attributes: { 'co\u0000lor': 'red' } }, { ...ok, title: '  Kettle \n' },
    // C1 controls too (U+009B starts an escape sequence like ESC [), and attribute values, which facets show.
    { ...ok, title: 'Ket\u009b31mtle' }, { ...ok, attributes: { color: 'r\u001bed' } }, { ...ok, attributes: { sizes: ['S', 'M\u0000'] } }, { ...ok, attributes: { color: 'rouge foncé', sizes: ['S', 'M'], watts: 40 } }];
  const { products, problems } = parseNdjson(lines.map((l) => JSON.stringify(l)).join('\n'));
  assert.equal(problems.map((p) => p.line), [1, 2, 3, 5, 6, 7]);
  assert.equal(products.map((p) => p.title), ['Kettle', 'T'], 'white space around a title is trimmed, as before');
  assert.not.ok(warehouseBody.safeParse({ name: 'W\u0000', region: 'east' }).success);
  assert.not.ok(clusterBody.safeParse({ name: 'C\u0007', country: 'US' }).success);
  assert.ok(clusterBody.safeParse({ name: 'Cluster', country: 'US' }).success);
});

test('an NDJSON line with a \\u escape of a lone surrogate is refused: it is not text, and its document could never be stored', () => {
  const lone = parseNdjson(`{"sku":"A-9","title":"K\\ud800","brand":"B","category":"home","price":1,"currency":"USD","supplierId":"s"}\n{"sku":"A-8","title":"K\\ud83d\\ude80","brand":"B","category":"home","price":1,"currency":"USD","supplierId":"s"}`);
  assert.equal([lone.products.map((p) => p.title), lone.problems.map((p) => p.line)], [['K🚀'], [1]]);
  assert.match(lone.problems[0]!.reason, /lone surrogate/);
});

test('attributes search cannot filter on (null, nested objects) are kept as sent but name no facet', async () => {
  const ok = { sku: 'AF-1', title: 'Lamp', brand: 'Glow', category: 'home', price: 1, currency: 'USD', supplierId: 's' };
  const { products, problems } = parseNdjson(JSON.stringify({ ...ok, attributes: { color: 'red', dimensions: { w: 1 }, finish: null } }));
  assert.equal(problems, []);
  const index = new EmbeddedSearchIndex();
  await index.upsert(products.map((p) => ({ ...p, createdAt: 1, updatedAt: 1 })));
  const r = await index.search({ sort: 'newest', offset: 0, size: 10 });
  assert.equal(r.facets.attributes, { color: { red: 1 } });
});

test('categoryTree: nested nodes with counts that include descendants', () => {
  const tree = categoryTree({ 'home/bedding/blankets': 2, 'home/kitchen': 3, books: 1 });
  assert.equal(tree.map((n) => [n.path, n.count]), [['books', 1], ['home', 5]]);
  assert.equal(tree[1]!.children.map((n) => [n.path, n.name, n.count]), [['home/bedding', 'Bedding', 2], ['home/kitchen', 'Kitchen', 3]]);
});

test('estimate: the fastest route from any warehouse with stock; unreachable clusters absent', () => {
  const t = routeTable([
    { warehouseId: 'a', clusterId: 'east', transitDays: 1 }, { warehouseId: 'b', clusterId: 'east', transitDays: 3 },
    { warehouseId: 'b', clusterId: 'west', transitDays: 2 },
  ]);
  assert.equal([...estimate(['a', 'b'], t)], [['east', 1], ['west', 2]]);
  assert.equal([...estimate(['b'], t)], [['east', 3], ['west', 2]]);
  assert.equal([...estimate([], t)], []);
  assert.equal(etaOf(2, Date.UTC(2024, 1, 28, 12)), { eta: '2024-03-01', days: 2 });
});

test('cursors round-trip; a forged one is InvalidError', () => {
  assert.equal(decodeCursor(encodeCursor(40)), { offset: 40 });
  assert.equal(decodeCursor(encodeCursor([-1.5, 'SKU-1'], 'list1')), { after: [-1.5, 'SKU-1'], offset: 0 });
  assert.equal(decodeCursor(undefined), { offset: 0 });
  for (const forged of [{ a: [1] }, { a: [{}, 'x'] }, { a: [1, 'x'], o: 3 }, { a: [null, 'x'] }, { a: 'x' }]) {
    assert.throws(() => decodeCursor(Buffer.from(JSON.stringify(forged)).toString('base64url')), (e: unknown) => e instanceof InvalidError, JSON.stringify(forged));
  }
  assert.throws(() => decodeCursor('nope'), (e: unknown) => e instanceof InvalidError);
  assert.throws(() => decodeCursor(Buffer.from('{"o":-1}').toString('base64url')), (e: unknown) => e instanceof InvalidError);
});

test('demo catalog: deterministic, ~50 categories, category attributes, some SKUs without stock', () => {
  const a = demoCatalog(2000);
  assert.equal(a.slice(0, 5), demoCatalog(5));
  assert.is(a[0]!.sku, 'SKU-00001');
  assert.ok(demoCategoryCount >= 45 && demoCategoryCount <= 60);
  assert.is(new Set(a.map((p) => p.category)).size, demoCategoryCount);
  const blanket = a.find((p) => p.category === 'home/bedding/blankets')!;
  assert.ok('fabric' in blanket.attributes && 'size' in blanket.attributes);
  const phone = a.find((p) => p.category === 'electronics/phones/smartphones')!;
  assert.ok('os' in phone.attributes && 'storage' in phone.attributes);
  const empty = Array.from({ length: 2000 }, (_, i) => demoStock(i + 1)).filter((s) => s.length === 0).length;
  assert.ok(empty > 50 && empty < 300, `${empty} of 2000 without stock`);
});


test('embedded index: the shopper filter is applied before counting, per filter version', async () => {
  const index = new EmbeddedSearchIndex();
  const mk = (sku: string, color: string) => ({ sku, title: `Lamp ${sku}`, brand: 'Glow', category: 'home/lighting', price: 100, currency: 'USD', supplierId: 's', attributes: { color }, createdAt: 1, updatedAt: 1 });
  await index.upsert([mk('L1', 'red'), mk('L2', 'red'), mk('L3', 'blue')]);
  const gone = new Set(['L2']);
  const accept = (version: string) => ({ version, accepts: (sku: string) => !gone.has(sku) });
  const first = await index.search({ q: 'lamp', sort: 'relevance', offset: 0, size: 10, accept: accept('v1') });
  assert.is(first.total, 2);
  assert.equal(first.facets.attributes.color, { red: 1, blue: 1 });
  assert.ok(!first.hits.some((h) => h.sku === 'L2'));
  gone.add('L3');
  const stale = await index.search({ q: 'lamp', sort: 'relevance', offset: 0, size: 10, accept: accept('v1') });
  assert.is(stale.total, 2, 'the same version is answered from the cache');
  const fresh = await index.search({ q: 'lamp', sort: 'relevance', offset: 0, size: 10, accept: accept('v2') });
  assert.is(fresh.total, 1);
  assert.equal(fresh.facets.brand, { Glow: 1 });
});

test('embedded index: facets of a very large result set are estimated from a sample, total stays exact', async () => {
  const index = new EmbeddedSearchIndex();
  const n = exactFacetLimit * 3;
  // A third blue, two thirds red; one green product, which a sample may miss or see.
  await index.upsert(Array.from({ length: n }, (_, i) => ({
    sku: `L${i}`, title: `Lamp ${i}`, brand: 'Glow', category: 'home/lighting', price: 100, currency: 'USD', supplierId: 's',
    attributes: { color: i === 7 ? 'green' : i % 3 === 0 ? 'blue' : 'red' }, createdAt: 1, updatedAt: 1,
  })));
  const big = await index.search({ q: 'lamp', sort: 'relevance', offset: 0, size: 10, accept: { version: 'v', accepts: () => true } });
  assert.is(big.total, n, 'total counts every hit');
  assert.is(big.facetsExact, false);
  const blue = big.facets.attributes.color!.blue!;
  assert.ok(Math.abs(blue - n / 3) <= n * 0.02, `blue ≈ a third of ${n}: ${blue}`);
  assert.is(big.facets.brand.Glow, n);
  const small = await index.search({ q: 'lamp', sort: 'relevance', offset: 0, size: 10, accept: { version: 'v2', accepts: (sku) => Number(sku.slice(1)) < 100 } });
  assert.is(small.total, 100);
  assert.is(small.facetsExact, true);
  assert.is(small.facets.attributes.color!.green, 1, 'a small result set is counted exactly');
});

test('QueryTally: completes normalised queries that found something, most searched first', () => {
  const tally = new QueryTally();
  for (let i = 0; i < 3; i++) tally.record('  Wireless   Headphones ', 12);
  tally.record('wireless charger', 4);
  tally.record('wireless nothing', 0);
  tally.record('w', 5);
  assert.equal(tally.complete('WIRE', 5), ['wireless headphones', 'wireless charger']);
  assert.equal(tally.complete('wireless c', 5), ['wireless charger']);
  assert.equal(tally.complete('x', 5), []);
});

test('a searched query with control characters is completed and counted with them as white space, never as sent', () => {
  const tally = new QueryTally();
  tally.record('red\u0000kettle\u001b[31m', 3);
  assert.equal(tally.complete('red', 5), ['red kettle [31m']);
  assert.is(normaliseQuery('  \u001b[31mKettle\u0000 Blue\t'), '[31mkettle blue');
});

test('an attribute filter named like a member of Object matches the product\'s own attribute of that name in any case, never the prototype\'s', () => {
  assert.ok(matchesAttributes({ Constructor: 'Oak' }, { constructor: ['oak'] }));
  assert.not.ok(matchesAttributes({ color: 'red' }, { constructor: ['function Object() { [native code] }'] }));
  assert.ok(matchesAttributes({ toString: 'x' }, { toString: ['X'] }));
});

test.run();
