// Baseline: check-and-decrement in one Lua script on Redis, auto-pipelined. Fast but not
// durable (no AOF/fsync), so it has no system of record to check against.
import { Redis } from 'ioredis';
import { benchSku, type Strategy } from '../strategy.ts';

const keyPrefix = 'bench:flash:';

const takeScript = `
local left = tonumber(redis.call('GET', KEYS[1]) or '0')
if left > 0 then
  redis.call('DECR', KEYS[1])
  return 1
end
return 0`;

type FlashRedis = Redis & { flashTake(key: string): Promise<number> };

export async function createRedisLua(opts: { redisUrl: string }): Promise<Strategy> {
  const base = new Redis(opts.redisUrl, { enableAutoPipelining: true, lazyConnect: true, maxRetriesPerRequest: 1 });
  await base.connect();
  base.defineCommand('flashTake', { numberOfKeys: 1, lua: takeScript });
  // defineCommand adds the method at run time; ioredis cannot type it.
  const redis = base as FlashRedis;
  const stockKey = `${keyPrefix}stock:${benchSku}`;
  return {
    name: 'redis-lua',
    durable: false,
    async setup(units) {
      await redis.set(stockKey, String(units));
    },
    async buy() {
      return (await redis.flashTake(stockKey)) === 1;
    },
    async countDurable() {
      return undefined;
    },
    async close() {
      await redis.quit();
    },
  };
}
