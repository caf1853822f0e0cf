// The short read cache in front of products and product cards: what it keeps, for how long,
// and that a read under way when a key is forgotten does not put the old value back (a
// product removed while a checkout read it stayed on sale for the cache's lifetime).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ReadCache } from '../stores/read-cache.ts';

test('a read that began before forget() is returned but not kept; the next read loads again', async () => {
  const cache = new ReadCache<string>(60_000);
  let loads = 0;
  let release: () => void = () => undefined;
  const slow = cache.getMany(['a'], async () => {
    loads++;
    await new Promise<void>((r) => (release = r));
    return new Map([['a', 'old']]);
  });
  cache.forget(['a']);
  release();
  assert.equal([...await slow], [['a', 'old']], 'the caller gets what it read');
  const again = await cache.getMany(['a'], async () => {
    loads++;
    return new Map([['a', 'new']]);
  });
  assert.equal([...again], [['a', 'new']]);
  assert.is(loads, 2);
});

test('values and known absences are kept for ttlMs; one load for what is missing', async () => {
  const cache = new ReadCache<number>(1000);
  const asked: string[][] = [];
  const load = async (keys: string[]) => {
    asked.push(keys);
    return new Map(keys.filter((k) => k !== 'none').map((k) => [k, k.length]));
  };
  assert.equal([...await cache.getMany(['ab', 'none'], load)], [['ab', 2]]);
  assert.equal([...await cache.getMany(['ab', 'none', 'abc'], load)], [['ab', 2], ['abc', 3]]);
  assert.equal(asked, [['ab', 'none'], ['abc']], 'the absent key is not asked again while fresh');
  await new Promise((r) => setTimeout(r, 1100));
  await cache.getMany(['ab'], load);
  assert.equal(asked.at(-1), ['ab'], 'asked again once stale');
});

test.run();
