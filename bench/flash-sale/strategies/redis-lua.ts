// Baselines: check-and-decrement in one Lua script on Redis, auto-pipelined.
// `redis-lua` runs on the machine's Redis, which keeps nothing on disk: fast, not durable.
// `redis-lua-fsync` runs the same script on a private Redis started here with an
// append-only file synced before every reply (`appendfsync always`, which Redis does once
// per turn of its event loop for all the writes of that turn: a group commit), so an
// acknowledged unit survives a crash, as the actor's do; its durable check kills that
// Redis with SIGKILL after the sale and counts what the restarted server read back.
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { benchSku, type Strategy } from '../strategy.ts';
import { pidListeningOn } from '../../support/cpu.ts';
import { startRedis, type PrivateServer } from '../../../test/support/private-servers.ts';

const keyPrefix = 'bench:flash:';
const stockKey = `${keyPrefix}stock:${benchSku}`;

const takeScript = `
local left = tonumber(redis.call('GET', KEYS[1]) or '0')
if left > 0 then
  redis.call('DECR', KEYS[1])
  return 1
end
return 0`;

type FlashRedis = Redis & { flashTake(key: string): Promise<number> };

async function connectFlash(url: string): Promise<FlashRedis> {
  const base = new Redis(url, { enableAutoPipelining: true, lazyConnect: true, maxRetriesPerRequest: 1 });
  await base.connect();
  base.defineCommand('flashTake', { numberOfKeys: 1, lua: takeScript });
  // defineCommand adds the method at run time; ioredis cannot type it.
  return base as FlashRedis;
}

export async function createRedisLua(opts: { redisUrl: string }): Promise<Strategy> {
  const redis = await connectFlash(opts.redisUrl);
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

/** A TCP port nothing listens on now (the kernel's pick). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function createRedisLuaFsync(): Promise<Strategy> {
  const server: PrivateServer = await startRedis(await freePort(), { appendfsync: 'always' });
  let redis: FlashRedis;
  try {
    redis = await connectFlash(server.url);
  } catch (err) {
    await server.destroy();
    throw err;
  }
  const pid = pidListeningOn(server.port);
  let units = 0;
  return {
    name: 'redis-lua-fsync',
    durable: true,
    async setup(stock) {
      units = stock;
      await redis.set(stockKey, String(stock));
    },
    async buy() {
      return (await redis.flashTake(stockKey)) === 1;
    },
    processes(): Record<string, number> {
      return pid === undefined ? {} : { 'redis-fsync': pid };
    },
    async countDurable() {
      // What a crash keeps: killed without a chance to write anything more, then started
      // again from its append-only file.
      redis.disconnect();
      await server.kill('SIGKILL');
      await server.start();
      const check = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await check.connect();
        return units - Number((await check.get(stockKey)) ?? '0');
      } finally {
        check.disconnect();
      }
    },
    async close() {
      redis.disconnect();
      await server.destroy();
    },
  };
}
