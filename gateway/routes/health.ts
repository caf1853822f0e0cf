// Liveness, readiness, Prometheus metrics and the OpenAPI document.
import { Hono } from 'hono';
import type { Registry } from 'prom-client';
import { metricsContentType, scrape } from '../../cluster/index.ts';
import type { GatewayDeps } from '../deps.ts';
import type { GatewayEnv } from '../env.ts';
import { openApiDocument } from '../openapi.ts';

// `_registry` is attached to the process's scrape by createMetrics; kept for the call site.
export function healthRoutes(deps: GatewayDeps, _registry: Registry): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get('/readyz', async (c) => {
    const checks = await deps.readiness();
    const ok = Object.values(checks).every((v) => v === 'ok');
    // A load balancer or a client polling readiness learns when to look again, as from every 503.
    if (!ok) c.header('Retry-After', '1');
    return c.json({ ok, checks }, ok ? 200 : 503);
  });
  // The whole process's series (the gateway's are attached to it), same as on the ops port.
  app.get('/metrics', async (c) => c.text(await scrape(), 200, { 'Content-Type': metricsContentType }));
  app.get('/openapi.json', (c) => c.json(openApiDocument()));
  return app;
}
