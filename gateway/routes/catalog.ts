// Catalog over HTTP: the category tree, category listings, product detail, search, and
// (admin) supplier onboarding and warehouses. The caller's default address decides the
// delivery cluster that search and detail filter and estimate for.
import { Hono, type Context } from 'hono';
import { z } from 'zod/v4';
import { checkProduct, decodeCursor, parseNdjson, type CatalogProduct, type SearchRequest } from '../../actors/catalog/index.ts';
import type { GatewayDeps } from '../deps.ts';
import type { GatewayEnv } from '../env.ts';
import { HttpError } from '../errors.ts';
import { requireAdmin } from '../auth.ts';
import { readJson } from '../body.ts';
import { check } from '../validate.ts';
import { skuParam } from './params.ts';
import { cursorParam } from '../paging.ts';

const categoryPath = z.string().regex(/^[a-z0-9][a-z0-9-]*(\/[a-z0-9][a-z0-9-]*){0,5}$/, 'a category path such as "electronics/audio"').max(120);
const price = z.coerce.number().int().min(0).max(100_000_000);
const limit = z.coerce.number().int().min(1).max(100).default(20);

export const searchQuery = z.object({
  q: z.string().max(200).optional(),
  category: categoryPath.optional(),
  brand: z.string().trim().min(1).max(120).optional(),
  minPrice: price.optional(),
  maxPrice: price.optional(),
  sort: z.enum(['relevance', 'price_asc', 'price_desc', 'newest']).default('relevance'),
  cursor: z.string().max(200).optional(),
  limit,
}).meta({ id: 'SearchQuery' });

export const listQuery = z.object({
  category: categoryPath.optional(),
  sort: z.enum(['relevance', 'price_asc', 'price_desc', 'newest']).default('newest'),
  cursor: z.string().max(200).optional(),
  limit,
}).meta({ id: 'ProductListQuery' });

/** The public product fields of API.md (suppliers and timestamps stay inside). */
function publicProduct(p: CatalogProduct) {
  return { sku: p.sku, title: p.title, brand: p.brand, category: p.category, price: p.price, currency: p.currency, attributes: p.attributes };
}

export function catalogRoutes(deps: GatewayDeps): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const catalog = deps.catalog;

  /** The delivery cluster of a logged-in caller's default address, if any. */
  const callerCluster = async (c: Context<GatewayEnv>): Promise<string | undefined> => {
    const userId = c.get('userId');
    if (!userId) return undefined;
    const me = await deps.users.me(userId);
    return me.addresses.find((a) => a.addressId === me.defaultAddressId)?.cluster;
  };

  const page = async (c: Context<GatewayEnv>, req: Omit<SearchRequest, 'cluster' | 'userId' | 'deviceId'>) => {
    const userId = c.get('userId');
    const cluster = await callerCluster(c);
    const deviceId = c.req.header('x-device-id')?.slice(0, 128) || `ip:${c.get('clientIp')}`;
    const res = await catalog.search({ ...req, ...(cluster ? { cluster } : {}), ...(userId ? { userId } : { deviceId }) });
    return {
      items: res.items.map((i) => ({ ...publicProduct(i), score: i.score, ...(i.delivery ? { delivery: i.delivery } : {}) })),
      facets: res.facets,
      total: res.total,
      nextCursor: res.nextCursor,
    };
  };

  app.get('/v1/categories', async (c) => c.json({ items: await catalog.categories() }));

  app.get('/v1/products', async (c) => {
    cursorParam(c.req.query('cursor'), decodeCursor);
    const q = check(listQuery, c.req.query(), 'query');
    return c.json(await page(c, { ...q, record: false }));
  });

  app.get('/v1/search', async (c) => {
    cursorParam(c.req.query('cursor'), decodeCursor);
    const q = check(searchQuery, c.req.query(), 'query');
    if (q.minPrice !== undefined && q.maxPrice !== undefined && q.minPrice > q.maxPrice) {
      throw new HttpError(422, 'validation_failed', 'minPrice is above maxPrice', [{ field: 'minPrice', problem: 'must not be above maxPrice' }]);
    }
    return c.json(await page(c, { ...q, record: true }));
  });

  app.get('/v1/products/:sku', async (c) => {
    const sku = skuParam(c.req.param('sku'));
    const p = await catalog.product(sku, await callerCluster(c));
    if (!p) throw new HttpError(404, 'not_found', `no product ${sku}`);
    return c.json({ ...publicProduct(p), stock: p.stock, ...(p.delivery ? { delivery: p.delivery } : {}) });
  });

  app.post('/v1/admin/products', requireAdmin(deps), async (c) => {
    const type = c.req.header('content-type') ?? '';
    if (/^application\/(x-)?ndjson\b/i.test(type)) {
      const { products, problems } = parseNdjson(await c.req.text());
      if (products.length === 0) {
        throw new HttpError(422, 'validation_failed', problems.length ? 'no line holds a valid product' : 'the body has no products', problems);
      }
      await catalog.onboard(products);
      return c.json({ accepted: products.length, rejected: problems }, 202);
    }
    const checked = checkProduct(await readJson(c));
    if ('reason' in checked) throw new HttpError(422, 'validation_failed', `the product is not valid: ${checked.reason}`, [{ field: '(body)', problem: checked.reason }]);
    await catalog.onboard([checked.ok]);
    return c.json({ accepted: 1, rejected: [] }, 202);
  });

  app.get('/v1/admin/warehouses', requireAdmin(deps), async (c) => c.json({ items: await catalog.warehouses() }));
  return app;
}
