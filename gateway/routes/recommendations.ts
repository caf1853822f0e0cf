// Related products (public), a user's recommendations and "not interested" feedback (🔒).
import { Hono } from 'hono';
import { z } from 'zod/v4';
import type { GatewayDeps } from '../deps.ts';
import type { GatewayEnv } from '../env.ts';
import { HttpError } from '../errors.ts';
import { requireUser, userOf } from '../auth.ts';
import { body, check } from '../validate.ts';
import { feedbackBody, limit } from '../schemas-personalisation.ts';
import { skuParam } from './params.ts';

export const limitQuery = z.object({ limit }).strict();

export function recommendationRoutes(deps: GatewayDeps): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const p = deps.personalisation;

  app.get('/v1/products/:sku/related', async (c) => {
    const sku = skuParam(c.req.param('sku'));
    const q = check(limitQuery, c.req.query(), 'query');
    if (!(await p.product(sku))) throw new HttpError(404, 'not_found', `no product ${sku}`);
    return c.json({ items: await p.recommendations.related(sku, q.limit, c.get('userId')) });
  });

  app.get('/v1/me/recommendations', requireUser, async (c) => {
    const q = check(limitQuery, c.req.query(), 'query');
    return c.json({ items: await p.recommendations.forUser(userOf(c), q.limit) });
  });

  const feedbackRow = (input: z.output<typeof feedbackBody>) =>
    ('category' in input ? { kind: 'category' as const, value: input.category } : { kind: 'sku' as const, value: input.sku });

  app.post('/v1/me/feedback', requireUser, async (c) => {
    await p.feedback.hide(userOf(c), feedbackRow(await body(c, feedbackBody)));
    return c.body(null, 204);
  });
  app.delete('/v1/me/feedback', requireUser, async (c) => {
    await p.feedback.unhide(userOf(c), feedbackRow(await body(c, feedbackBody)));
    return c.body(null, 204);
  });
  return app;
}
