// Liveness, readiness and the cluster view for operators.
import { Hono } from 'hono';
import type { GatewayDeps } from '../deps.ts';

export function healthRoutes(deps: GatewayDeps): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get('/readyz', async (c) => {
    const checks = await deps.readiness();
    const ok = Object.values(checks).every((v) => v === 'ok');
    return c.json({ ok, checks }, ok ? 200 : 503);
  });
  return app;
}
