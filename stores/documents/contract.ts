// The shared contract every DocumentStore adapter passes (run by test/catalog-contracts).
// Not exported from index.ts: it imports the test runner.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { InvalidDocumentError, type DocumentStore } from './port.ts';

export interface StoreFixture {
  store: DocumentStore;
  cleanup(): Promise<void>;
}

/** Registers the contract for one adapter; returns the uvu suite to `.run()`. */
export function documentStoreContract(name: string, open: () => Promise<StoreFixture>) {
  const t = suite<{ f?: StoreFixture }>(`documents contract: ${name}`, {});
  t.before(async (ctx) => {
    ctx.f = await open();
  });
  t.after(async (ctx) => {
    await ctx.f?.cleanup();
  });
  const s = (ctx: { f?: StoreFixture }) => ctx.f!.store;

  t('put then get returns the same document, nested values and unicode intact', async (ctx) => {
    const doc = { title: 'Wool blanket 🧶', price: 4999, attributes: { color: 'red', sizes: ['S', 'M'], fabric: { wool: 80, cotton: 20 } }, active: true, note: null };
    await s(ctx).put('products', 'SKU-1', doc);
    assert.equal(await s(ctx).get('products', 'SKU-1'), doc);
    assert.is(await s(ctx).get('products', 'SKU-missing'), undefined);
  });

  t('put replaces the whole document', async (ctx) => {
    await s(ctx).put('products', 'SKU-2', { a: 1, b: 2 });
    await s(ctx).put('products', 'SKU-2', { a: 3 });
    assert.equal(await s(ctx).get('products', 'SKU-2'), { a: 3 });
  });

  t('collections are separate', async (ctx) => {
    await s(ctx).put('other', 'SKU-1', { x: 1 });
    assert.equal(await s(ctx).get('other', 'SKU-1'), { x: 1 });
    assert.is((await s(ctx).get<{ title: string }>('products', 'SKU-1'))?.title, 'Wool blanket 🧶');
  });

  t('putMany, getMany, count, scan in id order with a cursor', async (ctx) => {
    const items = Array.from({ length: 1200 }, (_, i) => ({ id: `B-${String(i).padStart(5, '0')}`, doc: { i } }));
    await s(ctx).putMany('bulk', items);
    assert.is(await s(ctx).count('bulk'), 1200);
    const some = await s(ctx).getMany<{ i: number }>('bulk', ['B-00007', 'B-01199', 'nope']);
    assert.equal([...some.entries()].sort(), [['B-00007', { i: 7 }], ['B-01199', { i: 1199 }]]);
    const seen: number[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await s(ctx).scan<{ i: number }>('bulk', { after, limit: 500 });
      if (page.length === 0) break;
      seen.push(...page.map((p) => p.doc.i));
      after = page[page.length - 1]!.id;
    }
    assert.equal(seen, items.map((_, i) => i));
    assert.equal(await s(ctx).getMany('bulk', []), new Map());
  });

  t('delete removes and says whether there was one', async (ctx) => {
    await s(ctx).put('products', 'SKU-3', { a: 1 });
    assert.is(await s(ctx).delete('products', 'SKU-3'), true);
    assert.is(await s(ctx).delete('products', 'SKU-3'), false);
    assert.is(await s(ctx).get('products', 'SKU-3'), undefined);
  });

  t('bad names, ids and documents are refused with InvalidDocumentError', async (ctx) => {
    for (const f of [
      () => s(ctx).put('Bad Name', 'x', {}),
      () => s(ctx).put('products', 'has space', {}),
      () => s(ctx).put('products', 'ok', { _id: 'x' }),
      () => s(ctx).put('products', 'ok', [] as unknown as Record<string, unknown>),
    ]) {
      try {
        await f();
        assert.unreachable('should have thrown');
      } catch (err) {
        assert.instance(err, InvalidDocumentError);
        assert.is((err as InvalidDocumentError).code, 'invalid_document');
      }
    }
  });
  return t;
}
