// The OpenAPI 3.1 document served at /openapi.json, generated from the zod schemas the
// routes validate with (schemas*.ts and the routes' own query schemas), so the contract
// and the checks are the same objects. Every schema with an id becomes a component; an
// operation's id and tag come from its method and path. `test/openapi.test.ts` lints the
// result with Redocly's recommended rules.
import { z } from 'zod/v4';
import * as s from './schemas.ts';
import * as o from './schemas-orders.ts';
import * as cat from './schemas-catalog.ts';
import { listQuery, searchQuery, suggestQuery } from './routes/catalog.ts';
import { clusterBody, routeBody, warehouseBody } from './routes/logistics-admin.ts';
import { productInput } from '../actors/catalog/index.ts';
import * as ps from './schemas-personalisation.ts';
import { regionDocumentInput } from '../actors/homepage/index.ts';
import * as cm from './schemas-commerce.ts';
import { publicGet } from './representation.ts';
import { limitQuery } from './routes/recommendations.ts';
import { platforms } from '../actors/homepage/document.ts';

const homepageQuery = z.object({ platform: z.enum(platforms).default('web') });
const homepageProduct = z.object({ sku: z.string(), title: z.string(), price: z.int(), currency: z.string(), stock: z.enum(['in_stock', 'low', 'out_of_stock']) });
/** API.md "Homepage": what GET /v1/homepage answers. */
export const homepagePage = z.object({
  region: z.string(), platform: z.enum(platforms), version: z.int(),
  menu: z.array(z.object({ title: z.string(), category: z.string() })),
  blocks: z.array(z.object({
    kind: z.enum(['banner', 'flash_sale', 'best_sellers', 'trending', 'for_you']), title: z.string(), products: z.array(homepageProduct),
  }).passthrough()),
}).meta({ id: 'Homepage' });

type Auth = 'none' | 'user' | 'admin';
interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  summary: string;
  auth: Auth;
  body?: z.ZodType;
  /** The body may also be NDJSON (bulk onboarding). */
  ndjson?: boolean;
  /** Takes X-Device-Id: whose event it is without a token. */
  deviceId?: boolean;
  /** Query parameters: the object schema the route checks them with. */
  query?: z.ZodObject;
  /** Success status and body (undefined: no body). */
  ok: [number, z.ZodType | undefined];
  errors: number[];
}

const withBody = [400, 413, 415, 422];
/**
 * What any POST may also answer for its Idempotency-Key (API.md "Idempotency"): 400
 * invalid_idempotency_key, 409 request_in_progress, 422 idempotency_key_reused; and, for
 * one that takes no body, a body sent anyway that is not JSON (400, 413, 415).
 */
const everyPost = [400, 409, 413, 415, 422];

/** GET /v1/orders: a page of `limit` (1-100, default 20) after `cursor`. */
const ordersQuery = z.object({
  limit: z.int().min(1).max(100).default(20).describe('orders per page (1-100)'),
  cursor: z.string().optional().describe('the nextCursor of the page before, unchanged'),
});
const operations: Operation[] = [
  { method: 'post', path: '/v1/auth/signup', summary: 'Create an account and a session', auth: 'none', body: s.signupBody, ok: [201, s.authResponse], errors: [...withBody, 409, 429] },
  { method: 'post', path: '/v1/auth/login', summary: 'Log in: a new session', auth: 'none', body: s.loginBody, ok: [200, s.authResponse], errors: [...withBody, 401, 429] },
  { method: 'post', path: '/v1/auth/logout', summary: 'End this session on every node at once', auth: 'user', ok: [204, undefined], errors: [401] },
  { method: 'get', path: '/v1/me', summary: 'The user information page', auth: 'user', ok: [200, s.me], errors: [401] },
  { method: 'patch', path: '/v1/me', summary: 'Change the profile', auth: 'user', body: s.patchMeBody, ok: [200, s.me], errors: [...withBody, 401] },
  { method: 'post', path: '/v1/me/addresses', summary: 'Add an address (mapped to a delivery cluster)', auth: 'user', body: s.addressBody, ok: [201, s.address], errors: [...withBody, 401] },
  { method: 'delete', path: '/v1/me/addresses/{addressId}', summary: 'Delete an address', auth: 'user', ok: [204, undefined], errors: [401, 404] },
  { method: 'get', path: '/v1/me/sessions', summary: "The caller's live sessions, newest first (at most 100); current marks this token's", auth: 'user', ok: [200, s.sessionList], errors: [401] },
  { method: 'delete', path: '/v1/me/sessions/{sessionId}', summary: 'End one of your sessions as a logout does (every gateway within 100 ms); another user\'s or an unknown id is 404', auth: 'user', ok: [204, undefined], errors: [401, 404] },
  { method: 'post', path: '/v1/me/sessions/revoke-others', summary: 'End every other live session of yours; this one stays', auth: 'user', ok: [200, s.revokedSessions], errors: [401] },
  { method: 'post', path: '/v1/me/password', summary: 'Change the password (401 invalid_credentials for a wrong current one, counted as a failed login); ends every other session', auth: 'user', body: s.changePasswordBody, ok: [204, undefined], errors: [...withBody, 401, 429] },
  { method: 'get', path: '/v1/cart', summary: 'The cart', auth: 'user', ok: [200, s.cart], errors: [401] },
  { method: 'post', path: '/v1/cart/items', summary: 'Add units of a SKU', auth: 'user', body: s.addCartItemBody, ok: [200, s.cart], errors: [...withBody, 401, 404] },
  { method: 'patch', path: '/v1/cart/items/{sku}', summary: "Set a line's quantity (0 removes)", auth: 'user', body: s.setCartItemBody, ok: [200, s.cart], errors: [...withBody, 401, 404] },
  { method: 'delete', path: '/v1/cart/items/{sku}', summary: 'Remove a line', auth: 'user', ok: [200, s.cart], errors: [400, 401] },
  { method: 'get', path: '/v1/wishlist', summary: 'The wishlist, newest first: all of it, or with limit or cursor a page', auth: 'user', query: s.wishlistQuery, ok: [200, s.wishlistPage], errors: [400, 401, 422] },
  { method: 'post', path: '/v1/wishlist/items', summary: 'Add a SKU', auth: 'user', body: s.wishlistBody, ok: [200, s.wishlist], errors: [...withBody, 401, 404, 409] },
  { method: 'delete', path: '/v1/wishlist/items/{sku}', summary: 'Remove a SKU', auth: 'user', ok: [200, s.wishlist], errors: [400, 401] },
  { method: 'get', path: '/v1/inventory/{sku}', summary: 'Stock of a SKU (404: neither a product nor stock)', auth: 'none', ok: [200, s.inventory], errors: [400, 404] },
  { method: 'put', path: '/v1/admin/inventory/{sku}', summary: 'Set stock per warehouse (unknown warehouse: 422)', auth: 'admin', body: s.setStockBody, ok: [200, s.inventory], errors: [...withBody, 403] },
  { method: 'get', path: '/v1/admin/cluster', summary: 'Nodes, shard owners, actors', auth: 'admin', ok: [200, z.object({}).passthrough()], errors: [403] },
  { method: 'get', path: '/v1/categories', summary: 'The category tree with product counts', auth: 'none', ok: [200, cat.categories], errors: [] },
  { method: 'get', path: '/v1/products', summary: 'A category page', auth: 'none', query: listQuery, ok: [200, cat.searchPage], errors: [400, 422] },
  { method: 'get', path: '/v1/products/{sku}', summary: 'Product detail with live stock status and, for a caller with a default address (or country/postalCode), delivery', auth: 'none', query: z.object({ country: z.string().optional(), postalCode: z.string().optional() }), ok: [200, cat.productView], errors: [400, 404, 422] },
  { method: 'get', path: '/v1/search', summary: 'Search; out-of-stock and undeliverable SKUs are left out of items, total and facets. Attribute filters: attr.<name>=<value>, repeatable (values of one name are alternatives)', auth: 'none', query: searchQuery, ok: [200, cat.searchPage], errors: [400, 422] },
  { method: 'get', path: '/v1/search/suggest', summary: 'Completions as the user types: past queries, categories, product titles', auth: 'none', query: suggestQuery, ok: [200, cat.suggestions], errors: [400, 422] },
  { method: 'post', path: '/v1/admin/products', summary: 'Onboard one product (JSON) or many (NDJSON, application/x-ndjson); bad lines reported with their number', auth: 'admin', body: productInput, ndjson: true, ok: [202, cat.onboarded], errors: [...withBody, 403] },
  { method: 'get', path: '/v1/admin/warehouses', summary: 'Warehouses with region and location', auth: 'admin', ok: [200, cat.warehouses], errors: [403] },
  { method: 'get', path: '/v1/admin/logistics', summary: 'The delivery model: warehouses, clusters with their postal prefixes, routes', auth: 'admin', ok: [200, cat.logisticsView], errors: [403] },
  { method: 'put', path: '/v1/admin/logistics/warehouses/{warehouseId}', summary: 'Create or change a warehouse', auth: 'admin', body: warehouseBody, ok: [200, cat.warehouse], errors: [...withBody, 403] },
  { method: 'put', path: '/v1/admin/logistics/clusters/{clusterId}', summary: 'Create or change a delivery cluster; postalPrefixes become exactly its zones (409 zone_taken)', auth: 'admin', body: clusterBody, ok: [200, cat.deliveryCluster], errors: [...withBody, 403, 409] },
  { method: 'put', path: '/v1/admin/logistics/routes/{warehouseId}/{clusterId}', summary: 'Create or change a route; estimates are rebuilt', auth: 'admin', body: routeBody, ok: [200, cat.route], errors: [...withBody, 403] },
  { method: 'delete', path: '/v1/admin/logistics/routes/{warehouseId}/{clusterId}', summary: 'Remove a route; estimates are rebuilt', auth: 'admin', ok: [204, undefined], errors: [400, 403, 404] },
  { method: 'get', path: '/v1/homepage', summary: 'The regional homepage (query: platform=web|android|ios); ETag/304; for_you with a token', auth: 'none', query: homepageQuery, ok: [200, homepagePage], errors: [422] },
  { method: 'put', path: '/v1/admin/homepage/{region}', summary: 'Store a region document (every violation 422 naming the field); answers {region, version}', auth: 'admin', body: regionDocumentInput, ok: [200, z.object({ region: z.string(), version: z.int() })], errors: [...withBody, 403] },
  { method: 'get', path: '/v1/admin/homepage/{region}', summary: 'A region document with its version (default always exists)', auth: 'admin', ok: [200, z.object({}).passthrough()], errors: [403, 404, 422] },
  { method: 'post', path: '/v1/admin/homepage/rebuild', summary: 'Rebuild every homepage now', auth: 'admin', ok: [200, z.object({ rebuilt: z.int() })], errors: [403] },
  { method: 'post', path: '/v1/checkout', summary: 'Reserve the cart (or items: buy now) as an order awaiting payment', auth: 'user', body: o.checkoutBody, ok: [201, o.orderSummary], errors: [...withBody, 401, 404, 409, 503] },
  { method: 'post', path: '/v1/orders/{orderId}/pay', summary: 'Pay the order (402 declined; 503 payment_pending: retry with the same key)', auth: 'user', body: o.payBody, ok: [200, o.orderStatus], errors: [...withBody, 401, 402, 404, 409, 503] },
  { method: 'post', path: '/v1/orders/{orderId}/cancel', summary: 'Cancel an unpaid order; its stock goes back', auth: 'user', ok: [200, o.orderStatus], errors: [401, 404, 409] },
  { method: 'get', path: '/v1/orders', summary: 'Order history, newest first (limit, cursor)', auth: 'user', query: ordersQuery, ok: [200, o.orderPage], errors: [400, 401, 422] },
  { method: 'get', path: '/v1/orders/{orderId}', summary: 'One order with lines, totals and its status timeline', auth: 'user', ok: [200, o.order], errors: [401, 404] },
  { method: 'post', path: '/v1/events', summary: 'Record a view, click or add-to-cart (the token\'s user, else X-Device-Id); 202 once stored', auth: 'none', deviceId: true, body: ps.clickEventBody, ok: [202, z.object({ id: z.string() })], errors: [...withBody, 401, 404, 429] },
  { method: 'get', path: '/v1/products/{sku}/related', summary: 'Bought together with this SKU, then viewed together (limit)', auth: 'none', query: limitQuery, ok: [200, ps.productList], errors: [400, 404, 422] },
  { method: 'get', path: '/v1/me/recommendations', summary: 'Recommended for the user (limit); best sellers of their country without history', auth: 'user', query: limitQuery, ok: [200, ps.productList], errors: [400, 401, 422] },
  { method: 'post', path: '/v1/me/feedback', summary: 'Not interested in a category (and its subtree) or a SKU; applied within 2 s', auth: 'user', body: ps.feedbackBody, ok: [204, undefined], errors: [...withBody, 401, 404] },
  { method: 'delete', path: '/v1/me/feedback', summary: 'Undo a not-interested', auth: 'user', body: ps.feedbackBody, ok: [204, undefined], errors: [...withBody, 401] },
  { method: 'get', path: '/v1/admin/analytics/top-searches', summary: 'Top normalised searches (window=hour|day, limit)', auth: 'admin', query: ps.topSearchesQuery, ok: [200, ps.topSearches], errors: [400, 403, 422] },
  { method: 'get', path: '/v1/admin/analytics/top-products', summary: 'Top products (by=views|orders|wishlist, window=day|week, limit)', auth: 'admin', query: ps.topProductsQuery, ok: [200, ps.topProducts], errors: [400, 403, 422] },
  { method: 'get', path: '/v1/admin/analytics/revenue', summary: 'Revenue by category from paid orders minus refunds: what was paid for the goods (after coupon and points, without shipping), shared out over the categories (window=hour|day, currency?)', auth: 'admin', query: ps.revenueQuery, ok: [200, ps.revenue], errors: [400, 403, 422] },
  { method: 'post', path: '/v1/orders/{orderId}/refund', summary: 'Refund a paid order not yet shipped: money back, units back on sale, points and coupon given back (409 order_shipped)', auth: 'user', ok: [200, o.orderStatus], errors: [401, 404, 409] },
  { method: 'post', path: '/v1/orders/{orderId}/return', summary: 'Return a delivered order within 30 days (→ return_requested)', auth: 'user', ok: [200, o.orderStatus], errors: [401, 404, 409] },
  { method: 'post', path: '/v1/admin/orders/{orderId}/ship', summary: 'paid → shipped with carrier and tracking number (409 invalid_transition)', auth: 'admin', body: cm.shipBody, ok: [200, o.order], errors: [...withBody, 403, 404, 409] },
  { method: 'post', path: '/v1/admin/orders/{orderId}/deliver', summary: 'shipped → delivered (409 invalid_transition)', auth: 'admin', ok: [200, o.order], errors: [403, 404, 409] },
  { method: 'post', path: '/v1/admin/orders/{orderId}/returned', summary: 'return_requested → refunded and restocked (409 invalid_transition)', auth: 'admin', ok: [200, o.order], errors: [403, 404, 409] },
  { method: 'post', path: '/v1/admin/coupons', summary: 'Issue a coupon: percent or amount off, expiry, redemption limit, optionally for one user (409 duplicate code)', auth: 'admin', body: cm.couponBody, ok: [201, cm.coupon], errors: [...withBody, 403, 409] },
  { method: 'get', path: '/v1/admin/shipping-rates', summary: 'Shipping cost per delivery cluster and weight class (cluster * is the default)', auth: 'admin', ok: [200, cm.shippingRates], errors: [403] },
  { method: 'put', path: '/v1/admin/shipping-rates/{clusterId}', summary: "Set a cluster's shipping rates per weight class (an unknown cluster is 422 unknown_cluster)", auth: 'admin', body: cm.shippingRatesBody, ok: [200, cm.shippingRates], errors: [...withBody, 403] },
  { method: 'delete', path: '/v1/admin/products/{sku}', summary: 'Take a product off sale: gone from search, categories and homepage within 3 s; carts show it unavailable; checkout 409 unavailable', auth: 'admin', ok: [204, undefined], errors: [400, 403, 404] },
  { method: 'patch', path: '/v1/me/addresses/{addressId}', summary: 'Change an address (its delivery cluster follows) or make it the default', auth: 'user', body: cm.patchAddressBody, ok: [200, s.address], errors: [...withBody, 401, 404, 409] },
  { method: 'delete', path: '/v1/cart', summary: 'Empty the cart', auth: 'user', ok: [200, s.cart], errors: [401] },
  { method: 'post', path: '/v1/wishlist/items/{sku}/move-to-cart', summary: 'Move a wishlist item to the cart (one unit)', auth: 'user', ok: [200, s.cart], errors: [400, 401, 404, 409, 422] },
];

const reasons: Record<number, string> = {
  400: 'malformed JSON, wrong types or missing fields', 401: 'no valid token', 403: 'not an admin token', 404: 'not found',
  402: 'payment declined', 409: 'conflict', 413: 'body over 1 MiB', 415: 'not application/json', 422: 'well-formed but invalid', 429: 'rate limited (Retry-After)',
  503: 'shedding load or a dependency down (Retry-After)',
};

let cached: unknown;

/** "get /v1/orders/{orderId}/pay" → "getOrdersByOrderIdPay". */
function operationId(method: string, path: string): string {
  const words = path.replace(/^\/v1\//, '').split(/[/-]/).filter((w) => w !== '')
    .map((w) => (w.startsWith('{') ? `By${w.slice(1, 2).toUpperCase()}${w.slice(2, -1)}` : w[0]!.toUpperCase() + w.slice(1)));
  return method + words.join('');
}

const tagDescriptions: Record<string, string> = {
  auth: 'signup, login, logout', me: 'the user information page, addresses, sessions, password, recommendations, feedback',
  cart: 'the cart', wishlist: 'the wishlist', inventory: 'stock of a SKU', admin: 'operator routes (ADMIN_TOKEN)',
  categories: 'the category tree', products: 'catalog pages, product detail, related products', search: 'search and completions',
  checkout: 'placing an order', orders: 'paying, cancelling, refunding, returning; order history', homepage: 'the regional homepage',
  events: 'the clickstream', operations: 'health, readiness, metrics, this document',
};

/** The API area an operation belongs to: the first path segment after /v1 ("admin" for admin routes). */
const tagOf = (path: string) => path.split('/')[2] ?? 'operations';

const header = (description: string, schema: Record<string, unknown> = { type: 'string' }) => ({ description, schema });
const headers = {
  'X-Request-Id': header('this request\'s id (also in error bodies)'),
  'Retry-After': header('seconds to wait before trying again', { type: 'integer' }),
  'Idempotent-Replayed': header('"true" when this is the stored answer to an earlier request with the same Idempotency-Key'),
  'RateLimit-Limit': header('requests allowed per window from this address', { type: 'integer' }),
  'RateLimit-Remaining': header('requests left in this window', { type: 'integer' }),
  'RateLimit-Reset': header('seconds until the window resets', { type: 'integer' }),
  ETag: header('the representation\'s tag, for If-None-Match'),
};
const headerRef = (name: keyof typeof headers) => ({ $ref: `#/components/headers/${name}` });

/** Builds the document once; it only depends on code. */
/** Whether answers of `op` carry an ETag (and 304 for If-None-Match): the public GETs only. */
const tagged = (op: Operation) => op.method === 'get' && publicGet.test(op.path);

export function openApiDocument(): unknown {
  if (cached) return cached;
  // Every schema an operation uses gets an id (its own, or one made from the operation),
  // so the whole set converts at once and nested schemas refer to components, not $defs.
  const named = new Map<z.ZodType, string>();
  const ref = (schema: z.ZodType, fallbackId: string) => {
    let id = z.globalRegistry.get(schema)?.id ?? named.get(schema);
    if (!id) {
      id = fallbackId;
      z.globalRegistry.add(schema, { ...(z.globalRegistry.get(schema) ?? {}), id });
      named.set(schema, id);
    }
    return { $ref: `#/components/schemas/${id}` };
  };
  const errorRef = ref(s.errorBody, 'Error');
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const opId = operationId(op.method, op.path);
    const name = opId[0]!.toUpperCase() + opId.slice(1);
    const common = { 'X-Request-Id': headerRef('X-Request-Id'), 'RateLimit-Limit': headerRef('RateLimit-Limit'), 'RateLimit-Remaining': headerRef('RateLimit-Remaining'), 'RateLimit-Reset': headerRef('RateLimit-Reset') };
    const okHeaders = { ...common, ...(op.method === 'post' ? { 'Idempotent-Replayed': headerRef('Idempotent-Replayed') } : {}), ...(tagged(op) ? { ETag: headerRef('ETag') } : {}) };
    const responses: Record<string, unknown> = {
      [op.ok[0]]: op.ok[1]
        ? { description: 'OK', headers: okHeaders, content: { 'application/json': { schema: ref(op.ok[1], `${name}Response`) } } }
        : { description: 'OK, no body', headers: okHeaders },
    };
    if (tagged(op)) responses['304'] = { description: 'Not modified: the If-None-Match ETag is the current one', headers: { ...common, ETag: headerRef('ETag') } };
    // A logout ignores any key it is sent (API.md): only a body it cannot read is refused.
    const posted = op.method !== 'post' ? [] : op.path === '/v1/auth/logout' ? [400, 413, 415] : everyPost;
    for (const code of [...new Set([...op.errors, ...posted, 429, 503])].sort()) {
      const retry = code === 429 || code === 503 ? { 'Retry-After': headerRef('Retry-After') } : {};
      responses[code] = { description: reasons[code] ?? 'error', headers: { ...common, ...retry }, content: { 'application/json': { schema: errorRef } } };
    }
    const parameters: Record<string, unknown>[] = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    for (const [key, prop] of Object.entries(op.query?.shape ?? {}) as [string, z.ZodType][]) {
      const json = z.toJSONSchema(prop, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
      delete json.$schema;
      const optional = prop.safeParse(undefined).success;
      parameters.push({ name: key, in: 'query', required: !optional, schema: json, ...(typeof json.description === 'string' ? { description: json.description } : {}) });
    }
    if (op.method === 'post') parameters.push({ name: 'Idempotency-Key', in: 'header', required: false, description: 'the same key and body answer the first response again', schema: { type: 'string', pattern: '^[\\x20-\\x7e]{1,255}$' } });
    if (op.deviceId) parameters.push({ name: 'X-Device-Id', in: 'header', required: false, description: 'without a token: the device the event is counted for (8-64 of A-Za-z0-9_-); 400 without either', schema: { type: 'string', pattern: ps.deviceIdPattern.source } });
    if (tagged(op)) parameters.push({ name: 'If-None-Match', in: 'header', required: false, description: 'an ETag this client holds: 304 when unchanged', schema: { type: 'string' } });
    parameters.push({ name: 'X-Request-Id', in: 'header', required: false, description: 'a request id to use instead of a generated one (anything else is replaced by one)', schema: { type: 'string', pattern: '^[A-Za-z0-9._:/+=@-]{1,128}$' } });
    const body = op.body
      ? {
        required: true,
        content: {
          'application/json': { schema: ref(op.body, `${name}Request`) },
          ...(op.ndjson ? { 'application/x-ndjson': { schema: { type: 'string', description: 'one JSON document per line' } } } : {}),
        },
      }
      : undefined;
    (paths[op.path] ??= {})[op.method] = {
      operationId: opId,
      tags: [tagOf(op.path)],
      summary: op.summary,
      ...(op.auth === 'none' ? { security: [] } : { security: [{ [op.auth === 'admin' ? 'adminToken' : 'bearer']: [] }] }),
      parameters,
      ...(body ? { requestBody: body } : {}),
      responses,
    };
  }
  const ops: Record<string, string> = {
    '/healthz': 'the process is alive', '/readyz': 'NATS, Redis and MariaDB reachable and this process serving', '/metrics': 'Prometheus text', '/openapi.json': 'this document',
  };
  for (const [p, summary] of Object.entries(ops)) {
    paths[p] = { get: { operationId: operationId('get', p.replace('.json', '')), tags: ['operations'], summary, security: [], responses: { 200: { description: 'OK' }, 503: { description: 'not ready' } } } };
  }
  const all = z.toJSONSchema(z.globalRegistry, { io: 'input', unrepresentable: 'any', uri: (id) => `#/components/schemas/${id}` }).schemas;
  const schemas: Record<string, unknown> = {};
  for (const [id, schema] of Object.entries(all)) {
    const { $schema: _s, id: _i, ...rest } = schema as Record<string, unknown>;
    schemas[id] = rest;
  }
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'shop gateway',
      version: '1',
      description: 'The HTTP contract of the shop: auth, catalog, search, cart, wishlist, checkout, orders, homepage, personalisation and operator routes. Errors are {"error":{"code","message","details","requestId"}}.',
      license: { name: 'UNLICENSED', identifier: 'UNLICENSED' },
    },
    servers: [{ url: '/', description: 'this gateway' }],
    tags: [...new Set(operations.map((op) => tagOf(op.path))), 'operations'].map((name) => ({ name, description: tagDescriptions[name] ?? `the /v1/${name} routes` })),
    components: {
      schemas,
      headers,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'the token from signup or login' },
        adminToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN from the environment' },
      },
    },
    security: [{ bearer: [] }],
    paths,
  };
  return cached;
}
