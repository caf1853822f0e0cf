// Liveness, readiness, Prometheus metrics and the OpenAPI document.
import { Hono } from 'hono';
import type { Registry } from 'prom-client';
import type { GatewayDeps } from '../deps.ts';
import type { GatewayEnv } from '../env.ts';
import { openApiDocument } from '../openapi.ts';

export function healthRoutes(deps: GatewayDeps, registry: Registry): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get('/readyz', async (c) => {
    const checks = await deps.readiness();
    const ok = Object.values(checks).every((v) => v === 'ok');
    return c.json({ ok, checks }, ok ? 200 : 503);
  });
  app.get('/metrics', async (c) => c.text(await registry.metrics(), 200, { 'Content-Type': registry.contentType }));
  app.get('/openapi.json', (c) => c.json(openApiDocument()));
  return app;
}
