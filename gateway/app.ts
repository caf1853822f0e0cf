// The Hono application: request ids, body limit, one error handler, and the routes.
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Logger } from 'pino';
import type { GatewayDeps } from './deps.ts';
import { HttpError, toHttp } from './errors.ts';
import { healthRoutes } from './routes/health.ts';
import { inventoryRoutes } from './routes/inventory.ts';
import { adminRoutes } from './routes/admin.ts';

export const maxBodyBytes = 1024 * 1024;

type Env = { Variables: { requestId: string } };

export function createApp(deps: GatewayDeps, log: Logger): Hono<Env> {
  const app = new Hono<Env>();
  app.use('*', async (c, next) => {
    const requestId = c.req.header('x-request-id')?.slice(0, 128) || randomUUID();
    c.set('requestId', requestId);
    c.header('X-Request-Id', requestId);
    await next();
  });
  app.use('*', bodyLimit({
    maxSize: maxBodyBytes,
    onError: () => {
      throw new HttpError(413, 'body_too_large', `the body is over ${maxBodyBytes} bytes`);
    },
  }));
  app.route('/', healthRoutes(deps));
  app.route('/', inventoryRoutes(deps));
  app.route('/', adminRoutes(deps));
  app.notFound((c) => c.json({ error: { code: 'not_found', message: `no route ${c.req.method} ${c.req.path}` } }, 404));
  app.onError((err, c) => {
    const { status, body, headers } = toHttp(err);
    if (status >= 500) log.error({ err, requestId: c.get('requestId'), path: c.req.path }, 'request failed');
    for (const [k, v] of Object.entries(headers)) c.header(k, v);
    c.header('X-Request-Id', c.get('requestId'));
    return c.json(body, status as 400);
  });
  return app;
}
