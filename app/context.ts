// The shared connections of one process, opened once from the config and closed once.
import type { NatsConnection } from 'nats';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ClusterClient, connectNats } from '../cluster/index.ts';
import { createPool, type Pool } from '../stores/mysql/index.ts';
import type { Config } from './config.ts';

export interface AppContext {
  config: Config;
  log: Logger;
  nc: NatsConnection;
  pool: Pool;
  redis: Redis;
  /**
   * The same Redis without a command timeout, for background jobs (analytics, the
   * recommendations trainer, popularity, homepage builds): a timed-out command only stops
   * the waiting, so a job's SPOP would lose what it took, and a job's long pipeline would
   * make the request path's commands time out behind it. Connects when first used.
   */
  jobsRedis: Redis;
  client: ClusterClient;
  close(): Promise<void>;
}

export async function openContext(config: Config, log: Logger): Promise<AppContext> {
  const nc = await connectNats(config.natsUrl, `${config.role}:${config.nodeId}`, log, config.natsWriteGapMs);
  const pool = createPool(config.mysqlUrl, { connectionLimit: config.mysqlPoolSize, queryTimeoutMs: config.mysqlQueryTimeoutMs });
  // commandTimeout: a Redis that hangs (stopped, not gone) would otherwise hold every request
  // that reads it for as long as it hangs; maxRetriesPerRequest only bounds reconnects.
  const redis = new Redis(config.redisUrl, {
    lazyConnect: false, maxRetriesPerRequest: 2, enableAutoPipelining: true, commandTimeout: config.redisCommandTimeoutMs,
    showFriendlyErrorStack: !!process.env.DEBUG_REDIS_STACK,
  });
  redis.on('error', (err) => log.warn({ err }, 'redis error'));
  const jobsRedis = redis.duplicate({ commandTimeout: undefined, lazyConnect: true });
  jobsRedis.on('error', (err) => log.warn({ err }, 'redis error (jobs)'));
  const client = new ClusterClient(nc, {
    cluster: config.cluster,
    shards: config.shards,
    deadlineMs: config.askDeadlineMs,
    inFlightLimit: config.inFlightLimit,
  });
  return {
    config, log, nc, pool, redis, jobsRedis, client,
    async close() {
      await nc.drain().catch(() => undefined);
      await pool.end().catch(() => undefined);
      redis.disconnect();
      jobsRedis.disconnect();
    },
  };
}
