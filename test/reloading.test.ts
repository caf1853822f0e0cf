// The in-memory copy of a small table (shipping rates, routes, zones): concurrent readers
// share one load, and an edit announced while a load is under way is not hidden by it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Reloading } from '../stores/reloading.ts';

test('readers share a load; an invalidation during a load makes the next read load again', async () => {
  let version = 1;
  let loads = 0;
  let release: () => void = () => undefined;
  const table = new Reloading(async () => {
    loads++;
    const seen = version;
    await new Promise<void>((r) => (release = r));
    return seen;
  }, 60_000);
  const first = [table.current(), table.current()];
  const releaseFirst = release;
  // The operator's edit lands while the first load (which read version 1) is still out.
  version = 2;
  table.invalidate();
  const second = table.current();
  // The second load answers first, then the first one, which read the old version.
  release();
  await second;
  releaseFirst();
  assert.equal(await Promise.all(first), [1, 1], 'the readers of the first load get its answer');
  assert.is(await second, 2);
  assert.is(await table.current(), 2, 'the edit is not hidden by the load that began before it');
  assert.is(loads, 2);
});

test.run();
