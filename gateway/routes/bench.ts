// A route for bench:http only (BENCH_ROUTES=1), never in production: a bare hello, the
// ceiling of HTTP + Hono on this machine that every other scenario is compared with.
import { Hono } from 'hono';
import type { GatewayEnv } from '../env.ts';

/** Mounted before every middleware: nothing but routing and a response. */
export function benchHello(): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  app.get('/bench/hello', (c) => c.json({ hello: 'world' }));
  return app;
}
