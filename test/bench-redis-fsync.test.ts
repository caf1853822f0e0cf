// The durable Redis baseline of bench:flash-sale (redis-lua-fsync) counts as sold what its
// Redis reads back from its append-only file after a SIGKILL: a Redis that kept nothing
// on disk would come back empty and report every unit of the stock as sold.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRedisLuaFsync } from '../bench/flash-sale/strategies/redis-lua.ts';

test('units acknowledged before a SIGKILL are the units its Redis holds as sold after restarting', async () => {
  const strategy = await createRedisLuaFsync();
  try {
    await strategy.setup(100);
    const outcomes = await Promise.all(Array.from({ length: 60 }, (_, i) => strategy.buy(i)));
    assert.is(outcomes.filter(Boolean).length, 60);
    assert.is(await strategy.countDurable(), 60);
  } finally {
    await strategy.close();
  }
});

test('the stock runs out: a buyer past it is refused', async () => {
  const strategy = await createRedisLuaFsync();
  try {
    await strategy.setup(3);
    const outcomes = await Promise.all(Array.from({ length: 5 }, (_, i) => strategy.buy(i)));
    assert.equal(outcomes.filter(Boolean).length, 3);
    assert.is(await strategy.countDurable(), 3);
  } finally {
    await strategy.close();
  }
});

test.run();
