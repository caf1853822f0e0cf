// Catalog over HTTP: the category tree, category listings, product detail, search, and
// (admin) supplier onboarding and warehouses. The caller's default address decides the
// delivery cluster that search and detail filter and estimate for.
import { Hono, type Context } from 'hono';
import { z } from 'zod/v4';
import { checkProduct, cursorParts, decodeCursor, parseNdjson, searchList, productInput, type CatalogProduct, type SearchRequest } from '../../actors/catalog/index.ts';
import type { GatewayDeps } from '../deps.ts';
import type { GatewayEnv } from '../env.ts';
import { HttpError } from '../errors.ts';
import { isNdjsonType, rawBody, readJson } from '../body.ts';
import { check } from '../validate.ts';
import { isoCountry } from '../schemas.ts';
import { skuParam } from './params.ts';
import { cursorParam, limitParam, queryInt, queryIntOr } from '../paging.ts';

/**
 * A query parameter sent empty (`?category=`, as API.md's query templates write every
 * parameter) is as if absent, as an empty `limit` or `cursor` already is (paging.ts): an
 * empty category, brand, sort, country or postal code had been 422 where an empty q,
 * minPrice or limit was no filter.
 */
function blankAsAbsent<T extends z.ZodType>(schema: T) {
  return z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), schema);
}

const categoryPath = z.string().regex(/^[a-z0-9][a-z0-9-]*(\/[a-z0-9][a-z0-9-]*){0,5}$/, 'a category path such as "electronics/audio"').max(120);
const price = queryInt(0, 100_000_000);
const limit = limitParam;
/** Where to estimate delivery for a shopper without a token (or another place than their address). */
const deliveryPlace = {
  // An assigned code, as an address's: "XX" had been an empty 200, as if nothing shipped there.
  country: blankAsAbsent(isoCountry.transform((c) => c.toUpperCase()).optional()),
  postalCode: blankAsAbsent(z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9 -]{0,11}$/, 'a postal code of 1-12 letters, digits, spaces or dashes').optional()),
};

export const searchQuery = z.object({
  q: z.string().max(200).optional(),
  category: blankAsAbsent(categoryPath.optional()),
  brand: blankAsAbsent(z.string().trim().min(1).max(120).optional()),
  minPrice: price.optional(),
  maxPrice: price.optional(),
  sort: blankAsAbsent(z.enum(['relevance', 'price_asc', 'price_desc', 'newest', 'popular']).default('relevance')),
  cursor: z.string().max(200).optional(),
  limit,
  ...deliveryPlace,
}).meta({ id: 'SearchQuery' });

export const suggestQuery = z.object({
  q: z.string().trim().min(1).max(100),
  limit: queryIntOr(1, 20, 10),
}).meta({ id: 'SuggestQuery' });

/** `attr.<name>=<value>` filters (repeatable): the name's values are alternatives, names all apply. */
export function attributeFilters(all: Record<string, string[]>): Record<string, string[]> | undefined {
  // No prototype: a name is the client's, and attr.constructor or attr.__proto__ read
  // Object's own members here (a 500, "not iterable") instead of no filter yet.
  const out: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  const problems: { field: string; problem: string }[] = [];
  for (const [key, sent] of Object.entries(all)) {
    if (!key.startsWith('attr.')) continue;
    // An empty value is as if not sent, as every other catalog parameter sent empty is
    // (`attr.color=` from a form's unset field): it had been 422 where `brand=` was no filter.
    const values = sent.filter((v) => v.trim().length > 0);
    if (values.length === 0) continue;
    const name = key.slice(5);
    if (!/^[A-Za-z0-9_-]{1,40}$/.test(name)) problems.push({ field: key, problem: 'an attribute name is 1-40 of A-Z a-z 0-9 _ -' });
    else if (values.some((v) => v.length > 100)) problems.push({ field: key, problem: 'a value is 1-100 characters' });
    else {
      // Names compare case-insensitively: attr.Color and attr.color are one filter, whose
      // values are alternatives, not two that must both hold.
      const key = name.toLowerCase();
      out[key] = [...new Set([...(out[key] ?? []), ...values.map((v) => v.trim())])].slice(0, 20);
    }
  }
  if (Object.keys(out).length > 10) problems.push({ field: 'attr.*', problem: 'at most 10 attributes can be filtered on at once' });
  if (problems.length > 0) throw new HttpError(422, 'validation_failed', `the query has invalid values: ${problems.map((p) => p.field).join(', ')}`, problems);
  return Object.keys(out).length > 0 ? out : undefined;
}

export const listQuery = z.object({
  category: blankAsAbsent(categoryPath.optional()),
  sort: blankAsAbsent(z.enum(['relevance', 'price_asc', 'price_desc', 'newest', 'popular']).default('newest')),
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

  /**
   * The delivery cluster to filter and estimate for: `country` (and `postalCode`) from the
   * query when given, else a logged-in caller's default address, else none.
   */
  const callerCluster = async (c: Context<GatewayEnv>, place?: { country?: string | undefined; postalCode?: string | undefined }): Promise<string | undefined> => {
    if (place?.postalCode !== undefined && place.country === undefined) {
      throw new HttpError(422, 'validation_failed', 'postalCode needs a country', [{ field: 'country', problem: 'required with postalCode' }]);
    }
    if (place?.country !== undefined) return deps.zones.clusterOf(place.country, '', place.postalCode ?? '');
    const userId = c.get('userId');
    if (!userId) return undefined;
    const me = await deps.users.me(userId);
    return me.addresses.find((a) => a.addressId === me.defaultAddressId)?.cluster;
  };

  const page = async (c: Context<GatewayEnv>, req: Omit<SearchRequest, 'cluster' | 'userId' | 'deviceId'>, place?: { country?: string | undefined; postalCode?: string | undefined }) => {
    const userId = c.get('userId');
    const cluster = await callerCluster(c, place);
    const deviceId = c.req.header('x-device-id')?.slice(0, 128) || `ip:${c.get('clientIp')}`;
    const { cursor, limit: _limit, record: _record, ...parameters } = req;
    const list = searchList({ ...parameters, ...place });
    const given = cursor ? cursorParts(cursor).list : undefined;
    if (given !== undefined && given !== list) {
      throw new HttpError(400, 'invalid_cursor', 'the cursor belongs to another search or listing: ask for its first page again', [{ field: 'cursor', problem: 'from a page of other query parameters' }]);
    }
    const res = await catalog.search({ ...req, list, ...(cluster ? { cluster } : {}), ...(userId ? { userId } : { deviceId }) });
    return {
      items: res.items.map((i) => ({ ...publicProduct(i), stock: i.stock, score: i.score, ...(i.delivery ? { delivery: i.delivery } : {}) })),
      facets: res.facets,
      facetsExact: res.facetsExact,
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

  app.get('/v1/search/suggest', async (c) => {
    const q = check(suggestQuery, c.req.query(), 'query');
    return c.json({ items: await catalog.suggest(q.q, q.limit) });
  });

  app.get('/v1/search', async (c) => {
    cursorParam(c.req.query('cursor'), decodeCursor);
    const all = c.req.queries();
    const { country, postalCode, ...q } = check(searchQuery, Object.fromEntries(Object.entries(all).filter(([k]) => !k.startsWith('attr.')).map(([k, v]) => [k, v[0]])), 'query');
    if (q.minPrice !== undefined && q.maxPrice !== undefined && q.minPrice > q.maxPrice) {
      throw new HttpError(422, 'validation_failed', 'minPrice is above maxPrice', [{ field: 'minPrice', problem: 'must not be above maxPrice' }]);
    }
    const attributes = attributeFilters(all);
    // One search is one event: the pages after the first (a cursor; an empty one is the
    // first page) are the same search walked on, and had each been counted again in
    // top-searches. A HEAD (a monitor, a link checker) reads no results: no search either.
    return c.json(await page(c, { ...q, ...(attributes ? { attributes } : {}), record: !q.cursor && c.req.method !== 'HEAD' }, { country, postalCode }));
  });

  app.get('/v1/products/:sku', async (c) => {
    const sku = skuParam(c.req.param('sku'));
    const place = check(z.object(deliveryPlace), { country: c.req.query('country'), postalCode: c.req.query('postalCode') }, 'query');
    const p = await catalog.product(sku, await callerCluster(c, place));
    if (!p) throw new HttpError(404, 'not_found', `no product ${sku}`);
    const viewer = c.get('userId');
    // A HEAD shows no one the product: not a view (it had counted in top-products and trending).
    if (c.req.method !== 'HEAD') {
      deps.personalisation.clickstream.record({
        type: 'view', sku, category: p.category,
        ...(viewer ? { userId: viewer } : { deviceId: c.req.header('x-device-id')?.slice(0, 128) || `ip:${c.get('clientIp')}` }),
      });
    }
    return c.json({ ...publicProduct(p), stock: p.stock, ...(p.delivery ? { delivery: p.delivery } : {}) });
  });

  app.post('/v1/admin/products', async (c) => {
    if (isNdjsonType(c.req.header('content-type'))) {
      const { products, problems } = parseNdjson(await rawBody(c));
      if (products.length === 0) {
        throw new HttpError(422, 'validation_failed', problems.length ? 'no line holds a valid product' : 'the body has no products', problems);
      }
      await catalog.onboard(products);
      return c.json({ accepted: products.length, rejected: problems }, 202);
    }
    const json = await readJson(c);
    check(productInput, json, 'product'); // 400 for the wrong kind of thing, 422 for values out of the rules
    const checked = checkProduct(json);
    if ('reason' in checked) throw new HttpError(422, 'validation_failed', `the product is not valid: ${checked.reason}`, [{ field: '(body)', problem: checked.reason }]);
    await catalog.onboard([checked.ok]);
    return c.json({ accepted: 1, rejected: [] }, 202);
  });

  app.get('/v1/admin/warehouses', async (c) => c.json({ items: await catalog.warehouses() }));
  return app;
}
