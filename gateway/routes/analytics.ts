// Admin reports (🛠): top searches, top products, revenue by category over a window.
import { Hono } from 'hono';
import type { GatewayDeps } from '../deps.ts';
import type { GatewayEnv } from '../env.ts';
import { check } from '../validate.ts';
import { revenueQuery, topProductsQuery, topSearchesQuery } from '../schemas-personalisation.ts';

export function analyticsRoutes(deps: GatewayDeps): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const reports = deps.personalisation.reports;
  app.get('/v1/admin/analytics/top-searches', async (c) => {
    const q = check(topSearchesQuery, c.req.query(), 'query');
    return c.json(await reports.topSearches(q.window, q.limit));
  });
  app.get('/v1/admin/analytics/top-products', async (c) => {
    const q = check(topProductsQuery, c.req.query(), 'query');
    return c.json(await reports.topProducts(q.by, q.window, q.limit));
  });
  app.get('/v1/admin/analytics/revenue', async (c) => {
    const q = check(revenueQuery, c.req.query(), 'query');
    return c.json(await reports.revenue(q.window, q.currency, q.limit));
  });
  return app;
}
