// Operator views: the cluster's nodes, shard owners and actors.
import { Hono } from 'hono';
import type { GatewayDeps } from '../deps.ts';
import type { GatewayEnv } from '../env.ts';

export function adminRoutes(deps: GatewayDeps): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  app.get('/v1/admin/cluster', async (c) => c.json(await deps.clusterView()));
  return app;
}
