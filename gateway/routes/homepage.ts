// The homepage over HTTP: GET /v1/homepage (region by GeoIP, page from Redis, a personal
// block with a token, ETag/304, cache headers) and the admin region documents.
import { Hono } from 'hono';
import { Counter, type Registry } from 'prom-client';
import { checkRegionDocument, isPlatform, regionDocumentInput, regionPattern } from '../../actors/homepage/index.ts';
import type { GatewayDeps } from '../deps.ts';
import type { GatewayEnv } from '../env.ts';
import { HttpError } from '../errors.ts';
import { readJson, noBody } from '../body.ts';
import { check } from '../validate.ts';
import { etagMatches } from '../representation.ts';

function regionParam(region: string): string {
  if (!regionPattern.test(region)) {
    throw new HttpError(422, 'validation_failed', 'the region name is not valid', [{ field: 'region', problem: '2-32 of a-z, 0-9 and -' }]);
  }
  return region;
}

/** homepage_served_total, shared by the route and the anonymous fast path (homepage-fast.ts). */
export function servedCounter(registry: Registry): Counter<'source'> {
  return new Counter({ name: 'homepage_served_total', help: 'Homepages served, by where the page came from (redis, last_good, default)', labelNames: ['source'], registers: [registry] });
}

export function homepageRoutes(deps: GatewayDeps, registry: Registry, served: Counter<'source'>): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const { reader, api } = deps.homepage;
  new Counter({
    name: 'homepage_rebuilds_total', help: 'Homepage keys rebuilt by the builder, cluster-wide, by reason', labelNames: ['reason'], registers: [registry],
    async collect() {
      const counts = await api.rebuilds().catch(() => undefined);
      if (!counts) return;
      this.reset();
      for (const [reason, n] of Object.entries(counts)) this.inc({ reason }, n);
    },
  });
  new Counter({
    name: 'homepage_rebuild_requests_total', help: 'Rebuilds this gateway asked for after finding a key missing', registers: [registry],
    collect() {
      this.reset();
      this.inc(reader.rebuildRequests);
    },
  });

  app.get('/v1/homepage', async (c) => {
    const platform = c.req.query('platform') ?? 'web';
    if (!isPlatform(platform)) {
      throw new HttpError(422, 'validation_failed', 'platform must be web, android or ios', [{ field: 'platform', problem: 'one of web, android, ios' }]);
    }
    const page = await reader.page(await reader.regionOf(c.get('clientIp')), platform);
    served.inc({ source: page.source });
    const userId = c.get('userId');
    let body = page.json;
    let etag = page.etag;
    if (userId) ({ json: body, etag } = await reader.personal(page, userId));
    // A request with a token is never stored by a shared cache; one without may be, for 30 s.
    const personal = userId !== undefined || c.req.header('authorization') !== undefined;
    const headers = { ETag: etag, 'Cache-Control': personal ? 'private, max-age=0' : 'public, max-age=30', Vary: 'Authorization' };
    if (etagMatches(c.req.header('if-none-match'), etag)) return c.body(null, 304, headers);
    return c.body(body, 200, { ...headers, 'Content-Type': 'application/json' });
  });

  app.put('/v1/admin/homepage/:region', async (c) => {
    const region = regionParam(c.req.param('region'));
    const json = await readJson(c);
    // The wrong kind of thing (a mistyped or missing field) is a 400, a value out of the
    // rules a 422, as on every route; then what only the document's own checks know.
    check(regionDocumentInput, json, 'homepage document');
    const checked = checkRegionDocument(json);
    const problems = 'problems' in checked ? checked.problems : undefined;
    const result = 'ok' in checked ? await api.put(region, checked.ok) : undefined;
    const all = problems ?? (result && 'problems' in result ? result.problems : undefined);
    if (all) throw new HttpError(422, 'validation_failed', `the homepage document is not valid: ${[...new Set(all.map((p) => p.field))].join(', ')}`, all);
    return c.json(result && 'ok' in result ? result.ok : {});
  });

  app.get('/v1/admin/homepage/:region', async (c) => {
    const region = regionParam(c.req.param('region'));
    const doc = await api.get(region);
    if (!doc) throw new HttpError(404, 'not_found', `no homepage region "${region}"`);
    return c.json(doc);
  });

  app.post('/v1/admin/homepage/rebuild', async (c) => {
    await noBody(c);
    return c.json(await api.rebuild());
  });
  return app;
}
