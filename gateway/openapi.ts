// The OpenAPI 3.1 document served at /openapi.json, generated from the zod schemas the
// routes validate with (schemas.ts), so the contract and the checks are the same objects.
import { z } from 'zod/v4';
import * as s from './schemas.ts';
import * as o from './schemas-orders.ts';
import * as cm from './schemas-commerce.ts';

type Auth = 'none' | 'user' | 'admin';
interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  summary: string;
  auth: Auth;
  body?: z.ZodType;
  /** Success status and body (undefined: no body). */
  ok: [number, z.ZodType | undefined];
  errors: number[];
}

const withBody = [400, 413, 415, 422];
const operations: Operation[] = [
  { method: 'post', path: '/v1/auth/signup', summary: 'Create an account and a session', auth: 'none', body: s.signupBody, ok: [201, s.authResponse], errors: [...withBody, 409, 429] },
  { method: 'post', path: '/v1/auth/login', summary: 'Log in: a new session', auth: 'none', body: s.loginBody, ok: [200, s.authResponse], errors: [...withBody, 401, 429] },
  { method: 'post', path: '/v1/auth/logout', summary: 'End this session on every node at once', auth: 'user', ok: [204, undefined], errors: [401] },
  { method: 'get', path: '/v1/me', summary: 'The user information page', auth: 'user', ok: [200, s.me], errors: [401] },
  { method: 'patch', path: '/v1/me', summary: 'Change the profile', auth: 'user', body: s.patchMeBody, ok: [200, s.me], errors: [...withBody, 401] },
  { method: 'post', path: '/v1/me/addresses', summary: 'Add an address (mapped to a delivery cluster)', auth: 'user', body: s.addressBody, ok: [201, s.address], errors: [...withBody, 401] },
  { method: 'delete', path: '/v1/me/addresses/{addressId}', summary: 'Delete an address', auth: 'user', ok: [204, undefined], errors: [401, 404] },
  { method: 'get', path: '/v1/cart', summary: 'The cart', auth: 'user', ok: [200, s.cart], errors: [401] },
  { method: 'post', path: '/v1/cart/items', summary: 'Add units of a SKU', auth: 'user', body: s.addCartItemBody, ok: [200, s.cart], errors: [...withBody, 401, 404] },
  { method: 'patch', path: '/v1/cart/items/{sku}', summary: "Set a line's quantity (0 removes)", auth: 'user', body: s.setCartItemBody, ok: [200, s.cart], errors: [...withBody, 401, 404] },
  { method: 'delete', path: '/v1/cart/items/{sku}', summary: 'Remove a line', auth: 'user', ok: [200, s.cart], errors: [400, 401] },
  { method: 'get', path: '/v1/wishlist', summary: 'The wishlist', auth: 'user', ok: [200, s.wishlist], errors: [401] },
  { method: 'post', path: '/v1/wishlist/items', summary: 'Add a SKU', auth: 'user', body: s.wishlistBody, ok: [200, s.wishlist], errors: [...withBody, 401, 404] },
  { method: 'delete', path: '/v1/wishlist/items/{sku}', summary: 'Remove a SKU', auth: 'user', ok: [200, s.wishlist], errors: [400, 401] },
  { method: 'get', path: '/v1/inventory/{sku}', summary: 'Stock of a SKU', auth: 'none', ok: [200, s.inventory], errors: [400] },
  { method: 'put', path: '/v1/admin/inventory/{sku}', summary: 'Set stock per warehouse (unknown warehouse: 422)', auth: 'admin', body: s.setStockBody, ok: [200, s.inventory], errors: [...withBody, 401, 403] },
  { method: 'get', path: '/v1/admin/cluster', summary: 'Nodes, shard owners, actors', auth: 'admin', ok: [200, z.object({}).passthrough()], errors: [401, 403] },
  { method: 'get', path: '/v1/categories', summary: 'The category tree with product counts', auth: 'none', ok: [200, z.object({}).passthrough()], errors: [] },
  { method: 'get', path: '/v1/products', summary: 'A category page (query: category, sort, cursor, limit)', auth: 'none', ok: [200, z.object({}).passthrough()], errors: [400] },
  { method: 'get', path: '/v1/products/{sku}', summary: 'Product detail with live stock status and, for a caller with a default address, delivery', auth: 'none', ok: [200, z.object({}).passthrough()], errors: [400, 404] },
  { method: 'get', path: '/v1/search', summary: 'Search (query: q, category, brand, minPrice, maxPrice, sort, cursor, limit); out-of-stock and undeliverable SKUs left out', auth: 'none', ok: [200, z.object({}).passthrough()], errors: [400] },
  { method: 'post', path: '/v1/admin/products', summary: 'Onboard one product (JSON) or many (NDJSON); bad lines reported with their number', auth: 'admin', ok: [202, z.object({}).passthrough()], errors: [...withBody, 401, 403] },
  { method: 'get', path: '/v1/admin/warehouses', summary: 'Warehouses with region and location', auth: 'admin', ok: [200, z.object({}).passthrough()], errors: [401, 403] },
  { method: 'post', path: '/v1/checkout', summary: 'Reserve the cart (or items: buy now) as an order awaiting payment', auth: 'user', body: o.checkoutBody, ok: [201, o.orderSummary], errors: [...withBody, 401, 404, 409, 503] },
  { method: 'post', path: '/v1/orders/{orderId}/pay', summary: 'Pay the order (402 declined; 503 payment_pending: retry with the same key)', auth: 'user', body: o.payBody, ok: [200, o.orderStatus], errors: [...withBody, 401, 402, 404, 409, 503] },
  { method: 'post', path: '/v1/orders/{orderId}/cancel', summary: 'Cancel an unpaid order; its stock goes back', auth: 'user', ok: [200, o.orderStatus], errors: [401, 404, 409] },
  { method: 'get', path: '/v1/orders', summary: 'Order history, newest first (limit, cursor)', auth: 'user', ok: [200, o.orderPage], errors: [400, 401] },
  { method: 'get', path: '/v1/orders/{orderId}', summary: 'One order with lines, totals and its status timeline', auth: 'user', ok: [200, o.order], errors: [401, 404] },
  { method: 'post', path: '/v1/orders/{orderId}/refund', summary: 'Refund a paid order not yet shipped: money back, units back on sale, points and coupon given back (409 order_shipped)', auth: 'user', ok: [200, o.orderStatus], errors: [401, 404, 409] },
  { method: 'post', path: '/v1/orders/{orderId}/return', summary: 'Return a delivered order within 30 days (→ return_requested)', auth: 'user', ok: [200, o.orderStatus], errors: [401, 404, 409] },
  { method: 'post', path: '/v1/admin/orders/{orderId}/ship', summary: 'paid → shipped with carrier and tracking number (409 invalid_transition)', auth: 'admin', body: cm.shipBody, ok: [200, o.order], errors: [...withBody, 401, 403, 404, 409] },
  { method: 'post', path: '/v1/admin/orders/{orderId}/deliver', summary: 'shipped → delivered (409 invalid_transition)', auth: 'admin', ok: [200, o.order], errors: [401, 403, 404, 409] },
  { method: 'post', path: '/v1/admin/orders/{orderId}/returned', summary: 'return_requested → refunded and restocked (409 invalid_transition)', auth: 'admin', ok: [200, o.order], errors: [401, 403, 404, 409] },
  { method: 'post', path: '/v1/admin/coupons', summary: 'Issue a coupon: percent or amount off, expiry, redemption limit, optionally for one user (409 duplicate code)', auth: 'admin', body: cm.couponBody, ok: [201, cm.coupon], errors: [...withBody, 401, 403, 409] },
  { method: 'get', path: '/v1/admin/shipping-rates', summary: 'Shipping cost per delivery cluster and weight class (cluster * is the default)', auth: 'admin', ok: [200, cm.shippingRates], errors: [401, 403] },
  { method: 'put', path: '/v1/admin/shipping-rates/{clusterId}', summary: "Set a cluster's shipping rates per weight class", auth: 'admin', body: cm.shippingRatesBody, ok: [200, cm.shippingRates], errors: [...withBody, 401, 403] },
  { method: 'delete', path: '/v1/admin/products/{sku}', summary: 'Take a product off sale: gone from search, categories and homepage within 3 s; carts show it unavailable; checkout 409 unavailable', auth: 'admin', ok: [204, undefined], errors: [400, 401, 403, 404] },
  { method: 'patch', path: '/v1/me/addresses/{addressId}', summary: 'Change an address (its delivery cluster follows) or make it the default', auth: 'user', body: cm.patchAddressBody, ok: [200, s.address], errors: [...withBody, 401, 404] },
  { method: 'delete', path: '/v1/cart', summary: 'Empty the cart', auth: 'user', ok: [200, s.cart], errors: [401] },
  { method: 'post', path: '/v1/wishlist/items/{sku}/move-to-cart', summary: 'Move a wishlist item to the cart (one unit)', auth: 'user', ok: [200, s.cart], errors: [400, 401, 404, 409, 422] },
];

const reasons: Record<number, string> = {
  400: 'malformed JSON, wrong types or missing fields', 401: 'no valid token', 403: 'not an admin token', 404: 'not found',
  402: 'payment declined', 409: 'conflict', 413: 'body over 1 MiB', 415: 'not application/json', 422: 'well-formed but invalid', 429: 'rate limited (Retry-After)',
  503: 'shedding load or a dependency down (Retry-After)',
};

let cached: unknown;

/** Builds the document once; it only depends on code. */
export function openApiDocument(): unknown {
  if (cached) return cached;
  const schemas: Record<string, unknown> = {};
  const ref = (schema: z.ZodType) => {
    const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
    delete json.$schema;
    delete json.id;
    const id = z.globalRegistry.get(schema)?.id;
    if (!id) return json;
    schemas[id] = json;
    return { $ref: `#/components/schemas/${id}` };
  };
  const errorRef = ref(s.errorBody);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const responses: Record<string, unknown> = {
      [op.ok[0]]: op.ok[1] ? { description: 'OK', content: { 'application/json': { schema: ref(op.ok[1]) } } } : { description: 'OK, no body' },
    };
    for (const code of [...op.errors, 503]) responses[code] = { description: reasons[code] ?? 'error', content: { 'application/json': { schema: errorRef } } };
    const parameters = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    if (op.method === 'post') parameters.push({ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string' } });
    (paths[op.path] ??= {})[op.method] = {
      summary: op.summary,
      ...(op.auth === 'none' ? { security: [] } : { security: [{ [op.auth === 'admin' ? 'adminToken' : 'bearer']: [] }] }),
      ...(parameters.length ? { parameters } : {}),
      ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: ref(op.body) } } } } : {}),
      responses,
    };
  }
  for (const p of ['/healthz', '/readyz', '/metrics', '/openapi.json']) paths[p] = { get: { summary: 'operations', security: [], responses: { 200: { description: 'OK' } } } };
  cached = {
    openapi: '3.1.0',
    info: { title: 'shop gateway', version: '1' },
    components: {
      schemas,
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
