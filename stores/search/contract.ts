// The shared contract every SearchIndex adapter passes (run by test/catalog-contracts).
// Not exported from index.ts: it imports the test runner.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { IndexedProduct, SearchIndex, SearchQuery } from './port.ts';

export interface IndexFixture {
  index: SearchIndex;
  cleanup(): Promise<void>;
}

const at = Date.UTC(2024, 0, 1);
function p(sku: string, title: string, brand: string, category: string, price: number, createdOffset: number, attributes: Record<string, unknown> = {}): IndexedProduct {
  return { sku, title, brand, category, price, currency: 'USD', supplierId: 'sup-1', attributes, createdAt: at + createdOffset, updatedAt: at + createdOffset };
}

/** A small catalog with known answers. */
export const contractProducts: IndexedProduct[] = [
  p('C-01', 'Wireless Headphones Pro', 'Sonic', 'electronics/audio/headphones', 19_900, 1, { connectivity: 'bluetooth', color: 'black' }),
  p('C-02', 'Wireless Headphones Lite', 'Beatbox', 'electronics/audio/headphones', 9_900, 2, { connectivity: 'bluetooth', color: 'white' }),
  p('C-03', 'Wired Studio Headphones', 'Sonic', 'electronics/audio/headphones', 14_900, 3, { connectivity: 'cable' }),
  p('C-04', 'Wireless Speaker', 'Sonic', 'electronics/audio/speakers', 7_900, 4),
  p('C-05', 'Smartphone X 128GB', 'Fruit', 'electronics/phones', 89_900, 5, { os: 'fruitOS', storage: '128GB' }),
  p('C-06', 'Wool Blanket', 'Cosy', 'home/bedding/blankets', 4_900, 6, { fabric: 'wool', color: 'red', size: 'queen' }),
  p('C-07', 'Cotton Blanket', 'Cosy', 'home/bedding/blankets', 2_900, 7, { fabric: 'cotton', color: 'blue' }),
  p('C-08', 'Headphone Stand', 'Deskly', 'electronics/accessories', 1_900, 8),
];

const q = (over: Partial<SearchQuery>): SearchQuery => ({ sort: 'relevance', offset: 0, size: 20, ...over });

/** Registers the contract for one adapter; returns the uvu suite to `.run()`. */
export function searchIndexContract(name: string, open: () => Promise<IndexFixture>) {
  const t = suite<{ f?: IndexFixture }>(`search contract: ${name}`, {});
  t.before(async (ctx) => {
    ctx.f = await open();
    await ctx.f.index.clear();
    await ctx.f.index.upsert(contractProducts);
  });
  t.after(async (ctx) => {
    await ctx.f?.cleanup();
  });
  const ix = (ctx: { f?: IndexFixture }) => ctx.f!.index;
  const skus = (r: { hits: { sku: string }[] }) => r.hits.map((h) => h.sku);

  t('counts what was indexed', async (ctx) => {
    assert.is(await ix(ctx).count(), contractProducts.length);
  });

  t('fuzzy text: "wireles headphnes" finds the wireless headphones, best first', async (ctx) => {
    const r = await ix(ctx).search(q({ q: 'wireles headphnes' }));
    assert.equal(skus(r).sort(), ['C-01', 'C-02']);
    assert.is(r.total, 2);
    assert.ok(r.hits.every((h) => h.score > 0));
  });

  t('prefix on the last word while typing, and attributes are searchable', async (ctx) => {
    assert.ok(skus(await ix(ctx).search(q({ q: 'smartph' }))).includes('C-05'));
    assert.equal(skus(await ix(ctx).search(q({ q: 'wool' }))), ['C-06']);
  });

  t('filters: category subtree, brand, price range', async (ctx) => {
    assert.equal(skus(await ix(ctx).search(q({ category: 'electronics/audio', sort: 'price_asc' }))), ['C-04', 'C-02', 'C-03', 'C-01']);
    assert.equal(skus(await ix(ctx).search(q({ category: 'electronics/audio/headphones', brand: 'Sonic', sort: 'price_asc' }))), ['C-03', 'C-01']);
    assert.equal(skus(await ix(ctx).search(q({ minPrice: 2_900, maxPrice: 7_900, sort: 'price_asc' }))), ['C-07', 'C-06', 'C-04']);
    assert.equal(skus(await ix(ctx).search(q({ q: 'headphones', category: 'home' }))), []);
  });

  t('sorts: price both ways and newest', async (ctx) => {
    assert.equal(skus(await ix(ctx).search(q({ category: 'home', sort: 'price_desc' }))), ['C-06', 'C-07']);
    assert.equal(skus(await ix(ctx).search(q({ category: 'electronics', sort: 'newest' }))), ['C-08', 'C-05', 'C-04', 'C-03', 'C-02', 'C-01']);
  });

  t('facets count the filtered hits', async (ctx) => {
    const r = await ix(ctx).search(q({ q: 'headphones', size: 1 }));
    assert.is(r.hits.length, 1);
    assert.is(r.total, 4);
    assert.equal(r.facets.brand, { Sonic: 2, Beatbox: 1, Deskly: 1 });
    assert.equal(r.facets.category, { 'electronics/audio/headphones': 3, 'electronics/accessories': 1 });
    const all = await ix(ctx).categoryCounts();
    assert.is(all['home/bedding/blankets'], 2);
  });

  t('attribute filters: values of one name are alternatives, names all apply, case-insensitive', async (ctx) => {
    assert.equal(skus(await ix(ctx).search(q({ attributes: { color: ['BLUE'] } }))), ['C-07']);
    assert.equal(skus(await ix(ctx).search(q({ attributes: { color: ['blue', 'red'] }, sort: 'price_asc' }))), ['C-07', 'C-06']);
    assert.equal(skus(await ix(ctx).search(q({ attributes: { color: ['blue', 'red'], fabric: ['wool'] } }))), ['C-06']);
    assert.equal(skus(await ix(ctx).search(q({ q: 'headphones', attributes: { connectivity: ['bluetooth'] }, sort: 'price_asc' }))), ['C-02', 'C-01']);
    // The name too, whichever spelling an index met first (an embedded index caches the
    // ranking under the lower-cased name, and once answered "nothing" for the other one).
    assert.equal(skus(await ix(ctx).search(q({ attributes: { FABRIC: ['wool'] } }))), ['C-06']);
    assert.equal(skus(await ix(ctx).search(q({ attributes: { fabric: ['wool'] } }))), ['C-06']);
    assert.equal(skus(await ix(ctx).search(q({ attributes: { Color: ['blue'] }, sort: 'price_asc' }))), ['C-07']);
  });

  t('attribute facets count values over the filtered hits', async (ctx) => {
    const r = await ix(ctx).search(q({ category: 'home' }));
    assert.equal(r.facets.attributes.color, { red: 1, blue: 1 });
    assert.equal(r.facets.attributes.fabric, { wool: 1, cotton: 1 });
    assert.equal(r.facets.attributes.size, { queen: 1 });
  });

  t('popular sorts by units sold, unsold last in relevance order', async (ctx) => {
    const units = new Map([['C-03', 5], ['C-02', 9]]);
    const r = await ix(ctx).search(q({ q: 'headphones', sort: 'popular', popularity: { version: 'v1', of: (sku) => units.get(sku) ?? 0 } }));
    assert.equal(skus(r).slice(0, 2), ['C-02', 'C-03']);
    assert.is(r.total, 4);
  });

  t('suggest completes titles (from any word) and categories', async (ctx) => {
    const wire = await ix(ctx).suggest('Wirel', 10);
    const titles = wire.filter((x) => x.kind === 'product').map((x) => x.text);
    assert.ok(titles.includes('Wireless Headphones Pro') && titles.includes('Wireless Speaker'), JSON.stringify(wire));
    const head = await ix(ctx).suggest('headph', 10);
    assert.ok(head.some((x) => x.kind === 'category' && x.text === 'electronics/audio/headphones'), JSON.stringify(head));
    assert.ok(head.some((x) => x.kind === 'product' && x.text === 'Wired Studio Headphones'), 'a later word of the title completes too');
    assert.equal(await ix(ctx).suggest('zzzz', 10), []);
    assert.ok((await ix(ctx).suggest('w', 2)).length <= 2);
    // With the shopper's filter, a title none of whose SKUs passes it is not suggested.
    const buyable = await ix(ctx).suggest('Wirel', 10, (sku) => sku !== 'C-01');
    const shown = buyable.filter((x) => x.kind === 'product').map((x) => x.text);
    assert.ok(!shown.includes('Wireless Headphones Pro') && shown.includes('Wireless Speaker'), JSON.stringify(buyable));
  });

  t('offset paging walks every hit once', async (ctx) => {
    const seen: string[] = [];
    for (let offset = 0; ; offset += 3) {
      const r = await ix(ctx).search(q({ sort: 'price_asc', offset, size: 3 }));
      if (r.hits.length === 0) break;
      seen.push(...skus(r));
    }
    assert.is(seen.length, contractProducts.length);
    assert.is(new Set(seen).size, contractProducts.length);
  });

  t('paging by place walks every hit once, in every sort', async (ctx) => {
    const popularity = { version: 'p1', of: (sku: string) => Number(sku.slice(-1)) % 3 };
    for (const sort of ['relevance', 'price_asc', 'price_desc', 'newest', 'popular'] as const) {
      const whole = skus(await ix(ctx).search(q({ sort, popularity, size: 20 })));
      const seen: string[] = [];
      let after: SearchQuery['after'];
      for (let round = 0; round <= contractProducts.length; round++) {
        const r = await ix(ctx).search(q({ sort, popularity, size: 3, ...(after ? { after } : {}) }));
        if (r.hits.length === 0) break;
        seen.push(...skus(r));
        after = r.hits[r.hits.length - 1]!.place;
      }
      assert.equal(seen, whole, sort);
    }
  });

  t('a hit that leaves the filter before the next page shifts no later hit past it', async (ctx) => {
    const first = await ix(ctx).search(q({ sort: 'price_asc', size: 3 }));
    const whole = skus(await ix(ctx).search(q({ sort: 'price_asc', size: 20 })));
    // The first page's first hit sells out: an offset of 3 would now start one hit late.
    const gone = first.hits[0]!.sku;
    const accept = { version: `without-${gone}`, accepts: (sku: string) => sku !== gone };
    const next = await ix(ctx).search(q({ sort: 'price_asc', size: 3, accept, after: first.hits[2]!.place }));
    assert.equal(skus(next), whole.slice(3, 6));
  });

  t('paging by relevance goes on after the last hit though a product added between pages moved every score', async (ctx) => {
    const first = await ix(ctx).search(q({ q: 'wireless', size: 2 }));
    assert.is(first.hits.length, 2);
    const last = first.hits[1]!;
    await ix(ctx).upsert([p('C-90', 'Garden Hose', 'Aqua', 'garden/watering', 2_500, 90)]);
    try {
      const now = skus(await ix(ctx).search(q({ q: 'wireless', size: 20 })));
      const next = await ix(ctx).search(q({ q: 'wireless', size: 20, after: last.place }));
      assert.equal(skus(next), now.slice(now.indexOf(last.sku) + 1));
    } finally {
      await ix(ctx).remove(['C-90']);
    }
  });

  t('facets of names and values that are members of Object count like any other', async (ctx) => {
    // Counted in plain objects, brand "constructor" came out as "function Object() { [native
    // code] }1", "__proto__" and an attribute "toString" not at all (their counts were put on
    // Object.prototype.toString, for the life of the process).
    const odd = [
      p('O-01', 'Zyxwv odd one', 'constructor', 'constructor', 100, 20, { toString: 'x', color: 'constructor', size: '__proto__' }),
      p('O-02', 'Zyxwv odd two', '__proto__', 'home/valueOf', 100, 21, { hasOwnProperty: 'y', color: 'valueOf' }),
    ];
    await ix(ctx).upsert(odd);
    try {
      const r = await ix(ctx).search(q({ q: 'zyxwv' }));
      assert.is(r.total, 2);
      assert.equal(r.facets.brand, JSON.parse('{"constructor":1,"__proto__":1}'));
      assert.equal(r.facets.category, { constructor: 1, 'home/valueOf': 1 });
      assert.equal(r.facets.attributes, JSON.parse('{"toString":{"x":1},"color":{"constructor":1,"valueOf":1},"size":{"__proto__":1},"hasOwnProperty":{"y":1}}'));
      const all = await ix(ctx).categoryCounts();
      assert.is(all.constructor, 1);
      assert.is(all['home/valueOf'], 1);
      assert.is((Object.prototype.toString as unknown as Record<string, unknown>).x, undefined, 'nothing was counted on a built-in');
    } finally {
      await ix(ctx).remove(odd.map((o) => o.sku));
    }
  });

  t('upsert replaces, remove drops, clear empties', async (ctx) => {
    await ix(ctx).upsert([{ ...contractProducts[5]!, title: 'Alpaca Throw', price: 5_900 }]);
    assert.equal(skus(await ix(ctx).search(q({ q: 'alpaca' }))), ['C-06']);
    assert.equal(skus(await ix(ctx).search(q({ q: 'wool blanket' }))), ['C-06'], 'attributes still match');
    assert.equal(skus(await ix(ctx).search(q({ q: 'cotton' }))), ['C-07']);
    await ix(ctx).remove(['C-07']);
    assert.equal(skus(await ix(ctx).search(q({ category: 'home' }))), ['C-06']);
    await ix(ctx).clear();
    assert.is(await ix(ctx).count(), 0);
  });
  return t;
}
