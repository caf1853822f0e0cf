// The gateway role: the Hono app on @hono/node-server, with a graceful close.
import { serve, type ServerType } from '@hono/node-server';
import { clusterView } from '../cluster/index.ts';
import { createApp } from '../gateway/index.ts';
import type { AppContext } from './context.ts';

export interface RunningGateway {
  url: string;
  close(): Promise<void>;
}

export async function startGateway(ctx: AppContext): Promise<RunningGateway> {
  const { config, log, nc, pool, redis } = ctx;
  const app = createApp({
    client: ctx.client,
    adminToken: process.env.ADMIN_TOKEN || undefined,
    async readiness() {
      const check = async (f: () => Promise<unknown>) => f().then(() => 'ok', (err: unknown) => String((err as Error).message ?? err));
      return {
        nats: nc.isClosed() ? 'closed' : 'ok',
        redis: await check(() => redis.ping()),
        mariadb: await check(() => pool.query('SELECT 1')),
      };
    },
    clusterView: () => clusterView(nc, config.cluster, config.shards, config.leaseTtlMs),
  }, log);
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, () => resolve(s));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  return {
    url: `http://${config.host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
