// The API document: every /v1 route the gateway registers is in /openapi.json, the
// document passes Redocly's recommended lint rules with no error, and /docs serves the
// reference page with its assets from this process. In-process (app.request) with the
// real Redis behind the app's limiters.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { createApp } from '../gateway/index.ts';
import type { GatewayDeps } from '../gateway/deps.ts';
import { openApiDocument } from '../gateway/openapi.ts';
import { redisUrl, root } from './support/harness.ts';

const redis = new Redis(redisUrl, { lazyConnect: true });
// Routes are registered without calling their dependencies, and the requests below only
// reach /docs and /openapi.json, which use none of them: every dependency the wiring reads
// but these requests never call is a stand-in that answers anything with itself.
// `any` on purpose: a stand-in of every shape the wiring may read.
const anything: any = new Proxy(function standIn() {}, { get: (_t, key) => (key === 'then' ? undefined : anything), apply: () => anything });
const given: Record<string, unknown> = {
  redis, keyPrefix: `t_openapi_${process.pid}`, adminToken: 'x', benchRoutes: false, corsOrigins: [],
  limits: { authPerMin: 10, loginFailuresPerMin: 5, perIpPerSec: 1000, maxInflight: 100, idempotencyTtlSec: 60, trustProxy: 0 },
};
// The app spreads its dependencies into a new object, so the stand-ins must be own keys.
for (const key of ['client', 'users', 'wishlist', 'catalog', 'orders', 'homepage', 'personalisation', 'logistics', 'zones',
  'readiness', 'clusterView', 'nodeStats', 'unknownWarehouses']) given[key] ??= anything;
const deps = given as unknown as GatewayDeps;
const app = createApp(deps, pino({ level: 'silent' }));
const doc = openApiDocument() as { paths: Record<string, Record<string, { operationId: string }>> };

test.after(() => redis.disconnect());

test('every /v1 route the gateway serves is in the document, with a unique operationId', () => {
  const missing: string[] = [];
  for (const r of app.routes) {
    if (!r.path.startsWith('/v1/') || r.method === 'ALL' || r.path.includes('*')) continue;
    const path = r.path.replace(/:(\w+)(\{[^}]*\})?/g, '{$1}');
    if (!doc.paths[path]?.[r.method.toLowerCase()]) missing.push(`${r.method} ${path}`);
  }
  assert.equal([...new Set(missing)], [], 'routes missing from /openapi.json');
  const ids = Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((o) => o.operationId));
  assert.is(new Set(ids).size, ids.length, 'operationIds are unique');
});

test('every $ref names a component the document has; only the public GETs advertise ETag and If-None-Match', () => {
  const text = JSON.stringify(doc);
  const refs = [...new Set([...text.matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!))];
  const components = doc as unknown as { components: Record<string, Record<string, unknown>> };
  const dangling = refs.filter((r) => {
    const m = /^#\/components\/(\w+)\/([\w.-]+)$/.exec(r);
    return !m || !(m[2]! in (components.components[m[1]!] ?? {}));
  });
  assert.equal(dangling, [], 'a $ref no resolver can follow (the category tree\'s was "#/components/schemas/__shared#/$defs/schema0")');
  type Op = { parameters?: { name: string }[]; responses: Record<string, { headers?: Record<string, unknown> }> };
  const get = (path: string) => (doc.paths[path] as unknown as Record<string, Op>).get!;
  const advertises = (path: string) => [get(path).parameters?.some((p) => p.name === 'If-None-Match') ?? false, 'ETag' in (get(path).responses['200']!.headers ?? {})];
  for (const path of ['/v1/me', '/v1/cart', '/v1/wishlist', '/v1/orders', '/v1/orders/{orderId}']) assert.equal(advertises(path), [false, false], path);
  for (const path of ['/v1/products/{sku}', '/v1/search', '/v1/categories']) assert.equal(advertises(path), [true, true], path);
});

test('the Idempotency-Key every POST documents is the one the gateway takes: 1-255 printable ASCII', () => {
  type Param = { name: string; schema: { pattern?: string; maxLength?: number } };
  const post = (doc.paths['/v1/checkout'] as unknown as Record<string, { parameters: Param[] }>).post!;
  const key = post.parameters.find((p) => p.name === 'Idempotency-Key')!;
  // It said maxLength 200, where api.md and the gateway take up to 255.
  const rule = new RegExp(key.schema.pattern!);
  assert.ok(rule.test('k'.repeat(255)) && !rule.test('k'.repeat(256)) && !rule.test('') && !rule.test('é'), key.schema.pattern);
});

// A client generated from the document had no limit or cursor for GET /v1/orders, and
// was told of no 422 there (API.md's tour: ?limit=500 is 422), none for recommendations
// and related products, no 409 default_address, and none of what an Idempotency-Key may
// answer on a POST (409 request_in_progress, 422 idempotency_key_reused).
test('every status a route answers is in the document: list limits, default_address, a POST\'s Idempotency-Key', () => {
  const full = openApiDocument() as { paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; responses: Record<string, unknown> }>> };
  const op = (method: string, path: string) => full.paths[path]![method]!;
  const query = (method: string, path: string) => (op(method, path).parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name).sort();
  assert.equal(query('get', '/v1/orders'), ['cursor', 'limit']);
  for (const [path, ops] of Object.entries(full.paths)) {
    for (const [method, o] of Object.entries(ops)) {
      const names = (o.parameters ?? []).map((p) => p.name);
      if (names.includes('limit')) assert.ok('422' in o.responses, `${method} ${path} takes limit: limit=500 is 422`);
      if (method === 'post' && path !== '/v1/auth/logout') {
        for (const code of ['400', '409', '422']) assert.ok(code in o.responses, `${method} ${path} may answer ${code} for its Idempotency-Key`);
      }
    }
  }
  assert.ok('409' in op('patch', '/v1/me/addresses/{addressId}').responses, 'isDefault: false on the default is 409 default_address');
  assert.ok('409' in op('post', '/v1/wishlist/items').responses, 'a product taken off sale is 409 unavailable');
});

test('the document passes Redocly lint (recommended rules) with no error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'openapi-'));
  const file = join(dir, 'openapi.json');
  writeFileSync(file, JSON.stringify(doc));
  const res = spawnSync(join(root, 'node_modules', '.bin', 'redocly'), ['lint', file, '--format=stylish'], {
    encoding: 'utf8', timeout: 60_000, env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
  });
  const out = `${res.stdout}\n${res.stderr}`;
  assert.is(res.status, 0, out.slice(-3000));
  assert.match(out, /valid/i);
});

test('/docs serves the API reference from this process, with cacheable assets', async () => {
  const page = await app.request('/docs');
  assert.is(page.status, 200);
  // As the store's pages: no other site may frame it (its Try-it-out keeps the admin token).
  assert.match(page.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
  assert.is(page.headers.get('x-content-type-options'), 'nosniff');
  assert.is(page.headers.get('referrer-policy'), 'same-origin');
  const html = await page.text();
  assert.match(html, /swagger-ui-bundle\.js/);
  const srcs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
  assert.is(srcs.length, 3);
  for (const src of srcs) {
    assert.ok(src.startsWith('/docs/assets/'), src);
    const a = await app.request(src);
    assert.is(a.status, 200, src);
    assert.match(a.headers.get('cache-control') ?? '', /immutable/);
    assert.ok((await a.text()).length > 0);
  }
  const json = await app.request('/openapi.json');
  assert.is(json.status, 200);
  assert.is(((await json.json()) as { openapi: string }).openapi, '3.1.0');
});

test.run();
