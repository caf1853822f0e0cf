// What an HTTP client expects beyond the routes, over HTTP against node and gateway
// processes: CORS by origin, compression only where it pays, ETag/304 on public reads,
// RateLimit-* headers, the request id in every error body, one status for one mistake on
// every list route, and the storefront's pages and immutable, content-hashed assets. The
// cart's read and add, and placing and paying an order, answered ahead of the middleware
// chain, are made both ways (a query string or an Idempotency-Key sends them through the
// chain) and the answers compared.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gunzipSync } from 'node:zlib';
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { adminToken, call, signup, signupBuyer, startStack, type Res, type Stack } from './support/gateway.ts';

let s: Stack;
let user: Awaited<ReturnType<typeof signup>>;
const origin = 'https://shop.example';

test.before(async () => {
  s = await startStack('http', { gatewayEnv: { CORS_ORIGINS: `${origin},https://admin.example` } });
  try {
    user = await signup(s.url);
  } catch (err) {
    // uvu neither reports a failed hook nor runs test.after.
    console.error('set-up failed:', err);
    await s.stop();
    throw err;
  }
});
test.after(async () => {
  await s?.stop();
});

/** The raw bytes and headers of a GET (fetch would undo the compression we check). */
function raw(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(s.url + path, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject).end();
  });
}

test('CORS: a listed origin may call and read our headers; another origin gets no grant', async () => {
  const ok = await call(s.url, 'GET', '/v1/inventory/SKU-00001', { headers: { origin } });
  assert.is(ok.headers.get('access-control-allow-origin'), origin);
  assert.match(ok.headers.get('access-control-expose-headers') ?? '', /X-Request-Id/);
  const pre = await fetch(`${s.url}/v1/cart/items`, {
    method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,idempotency-key' },
  });
  assert.ok(pre.status === 204 || pre.status === 200, `preflight ${pre.status}`);
  assert.is(pre.headers.get('access-control-allow-origin'), origin);
  assert.match((pre.headers.get('access-control-allow-headers') ?? '').toLowerCase(), /idempotency-key/);
  assert.match(pre.headers.get('access-control-allow-methods') ?? '', /PATCH/);
  const other = await call(s.url, 'GET', '/v1/inventory/SKU-00001', { headers: { origin: 'https://evil.example' } });
  assert.is(other.status, 200);
  assert.is(other.headers.get('access-control-allow-origin'), null);
});

test('compression: big bodies are gzip or brotli as asked; small ones are sent as they are', async () => {
  const big = await raw('/metrics', { 'accept-encoding': 'gzip' });
  assert.is(big.status, 200);
  assert.is(big.headers['content-encoding'], 'gzip');
  assert.match(gunzipSync(big.body).toString(), /http_requests_total/);
  const br = await raw('/metrics', { 'accept-encoding': 'br, gzip' });
  assert.is(br.headers['content-encoding'], 'br');
  const plain = await raw('/metrics');
  assert.is(plain.headers['content-encoding'], undefined);
  assert.match(plain.body.toString(), /http_requests_total/);
  const small = await raw('/v1/inventory/SKU-00001', { 'accept-encoding': 'gzip, br' });
  assert.is(small.headers['content-encoding'], undefined);
  assert.is(JSON.parse(small.body.toString()).sku, 'SKU-00001');
});

test('ETag on public reads: 304 while unchanged, a new tag once the stock changes', async () => {
  const first = await call(s.url, 'GET', '/v1/inventory/SKU-00002');
  const etag = first.headers.get('etag');
  assert.ok(etag && /^W\/".+"$/.test(etag), `etag ${etag}`);
  const again = await fetch(`${s.url}/v1/inventory/SKU-00002`, { headers: { 'if-none-match': etag! } });
  assert.is(again.status, 304);
  assert.is(await again.text(), '');
  assert.is(again.headers.get('etag'), etag);
  const put = await call(s.url, 'PUT', '/v1/admin/inventory/SKU-00002', { token: adminToken, body: { warehouses: [{ warehouseId: 'wh-east', onHand: 77 }] } });
  assert.is(put.status, 200, JSON.stringify(put.body));
  const changed = await fetch(`${s.url}/v1/inventory/SKU-00002`, { headers: { 'if-none-match': etag! } });
  assert.is(changed.status, 200);
  assert.is.not(changed.headers.get('etag'), etag);
  assert.is((await changed.json() as { onHand: number }).onHand, 77);
  // Private answers carry no ETag.
  assert.is((await call(s.url, 'GET', '/v1/cart', { token: user.token })).headers.get('etag'), null);
});

test('RateLimit-* headers say the limit, what is left and when the window resets', async () => {
  const r = await call(s.url, 'GET', '/v1/inventory/SKU-00001');
  const limit = Number(r.headers.get('ratelimit-limit'));
  const remaining = Number(r.headers.get('ratelimit-remaining'));
  const reset = Number(r.headers.get('ratelimit-reset'));
  assert.ok(limit > 0, `limit ${limit}`);
  assert.ok(remaining >= 0 && remaining < limit, `remaining ${remaining}`);
  assert.ok(reset >= 1 && reset <= 1, `reset ${reset}`);
  assert.is(r.headers.get('ratelimit-policy'), `${limit};w=1`);
});

test('every error body has API.md\'s shape, details included (null when there are none), and the request id of its X-Request-Id header', async () => {
  const cases = [
    await call(s.url, 'GET', '/v1/nowhere'),
    await call(s.url, 'POST', '/v1/auth/login', { body: '{"email":' }),
    await call(s.url, 'GET', '/v1/cart'),
    await call(s.url, 'POST', '/v1/cart/items', { token: user.token, body: { sku: 'SKU-00001', qty: 'two' } }),
    await call(s.url, 'GET', '/v1/admin/cluster', { token: user.token }),
  ];
  assert.equal(cases.map((r) => r.status), [404, 400, 401, 400, 403]);
  for (const r of cases) {
    assert.ok(r.body.error.requestId, JSON.stringify(r.body));
    assert.is(r.body.error.requestId, r.headers.get('x-request-id'));
    assert.equal(Object.keys(r.body.error).sort(), ['code', 'details', 'message', 'requestId'], JSON.stringify(r.body));
  }
  assert.equal(cases.map((r) => r.body.error.details === null), [true, true, true, false, true], 'only the wrong type names a field');
  // A path the API has, with a method it does not answer there: 405 and what it does answer.
  const wrong = await call(s.url, 'PUT', '/v1/cart', { token: user.token, body: {} });
  assert.equal([wrong.status, wrong.body.error.code, wrong.headers.get('allow')], [405, 'method_not_allowed', 'DELETE, GET, HEAD']);
  assert.equal((await call(s.url, 'POST', '/v1/categories')).headers.get('allow'), 'GET, HEAD');
  assert.is((await call(s.url, 'POST', '/v1/products/SKU-00001/related')).status, 405);
  assert.is((await call(s.url, 'POST', '/v1/nowhere')).status, 404);
  // A route whose parameter has its own pattern: another file there is no route at all.
  const docsPage = await call(s.url, 'GET', '/docs');
  const asset = /src="([^"]*init\.js)"/.exec(String(docsPage.body))?.[1];
  assert.ok(asset, 'the docs page names its script');
  assert.is((await call(s.url, 'GET', asset!)).status, 200);
  assert.is((await call(s.url, 'GET', asset!.replace('init.js', 'nope.js'))).status, 404);
  assert.is((await call(s.url, 'POST', asset!)).status, 405);
  const mine = await call(s.url, 'GET', '/v1/nowhere', { headers: { 'x-request-id': 'trace-123' } });
  assert.is(mine.body.error.requestId, 'trace-123');
  // Markup (or anything but a plain token) is not echoed: a new id stands in for it.
  const markup = await call(s.url, 'GET', '/v1/nowhere', { headers: { 'x-request-id': '<script>x</script>' } });
  assert.match(markup.headers.get('x-request-id')!, /^[0-9a-f-]{36}$/);
  assert.is(markup.body.error.requestId, markup.headers.get('x-request-id'));
});

test('the same mistake gets the same status on every list route', async () => {
  const routes: { path: string; token?: string; cursor?: false }[] = [
    { path: '/v1/search?q=a' }, { path: '/v1/products?' }, { path: '/v1/orders?', token: user.token },
  ];
  // Routes other branches add (a limit, no cursor): checked when this server has them.
  for (const extra of [
    { path: '/v1/admin/analytics/top-searches?window=hour', token: adminToken, cursor: false as const },
    { path: '/v1/me/recommendations?', token: user.token, cursor: false as const },
    { path: '/v1/products/SKU-00001/related?', cursor: false as const },
  ]) {
    const r = await call(s.url, 'GET', extra.path, extra.token ? { token: extra.token } : {});
    if (r.status !== 404 || r.body?.error?.code !== 'not_found' || !/no route/.test(r.body.error.message)) routes.push(extra);
  }
  const mistakes: [string, number, string][] = [
    ['limit=500', 422, 'validation_failed'], ['limit=0', 422, 'validation_failed'], ['limit=2.5', 422, 'validation_failed'],
    ['limit=ten', 400, 'invalid_request'],
    ['cursor=%25%25', 400, 'invalid_cursor'], [`cursor=${'x'.repeat(300)}`, 400, 'invalid_cursor'],
  ];
  const seen: string[] = [];
  for (const route of routes) {
    for (const [query, status, code] of mistakes) {
      if (route.cursor === false && query.startsWith('cursor=')) continue;
      const sep = route.path.endsWith('?') ? '' : '&';
      const r = await call(s.url, 'GET', `${route.path}${sep}${query}`, route.token ? { token: route.token } : {});
      seen.push(`${route.path} ${query.slice(0, 12)} → ${r.status} ${r.body?.error?.code}`);
      assert.is(r.status, status, seen[seen.length - 1]);
      assert.is(r.body.error.code, code, seen[seen.length - 1]);
    }
    const fine = await call(s.url, 'GET', `${route.path}${route.path.endsWith('?') ? '' : '&'}limit=100`, route.token ? { token: route.token } : {});
    assert.is(fine.status, 200, `${route.path} limit=100: ${JSON.stringify(fine.body)}`);
    // An empty limit is no limit given, as an empty cursor is no cursor.
    const empty = await call(s.url, 'GET', `${route.path}${route.path.endsWith('?') ? '' : '&'}limit=`, route.token ? { token: route.token } : {});
    assert.is(empty.status, 200, `${route.path} limit=: ${JSON.stringify(empty.body)}`);
  }
});

test('a signed-in user\'s answers and a login\'s token are never kept by a cache; public reads may be', async () => {
  const email = `cache-${randomUUID()}@example.com`;
  const created = await call(s.url, 'POST', '/v1/auth/signup', { body: { email, password: 'correct horse battery', name: 'Cache' } });
  assert.is(created.status, 201);
  assert.is(created.headers.get('cache-control'), 'no-store', 'a signup answer carries a token');
  const login = await call(s.url, 'POST', '/v1/auth/login', { body: { email, password: 'correct horse battery' } });
  assert.is(login.status, 200);
  assert.is(login.headers.get('cache-control'), 'no-store', 'a login answer carries a token');
  const wrong = await call(s.url, 'POST', '/v1/auth/login', { body: { email, password: 'wrong horse battery' } });
  assert.is(wrong.status, 401);
  assert.is(wrong.headers.get('cache-control'), 'no-store');
  const token = login.body.token as string;
  for (const path of ['/v1/me', '/v1/cart', '/v1/cart?via=chain', '/v1/orders', '/v1/wishlist', '/v1/orders/no-such-order']) {
    const r = await call(s.url, 'GET', path, { token });
    assert.is(r.headers.get('cache-control'), 'no-store', `${path}: ${r.status}`);
  }
  const added = await call(s.url, 'POST', '/v1/cart/items', { token, body: { sku: 'SKU-00001', qty: 1 } });
  assert.is(added.status, 200);
  assert.is(added.headers.get('cache-control'), 'no-store', 'the cart add answered ahead of the chain');
  // The homepage keeps its own rule (private when personal); public reads stay cacheable,
  // per caller: a product's answer names the delivery to the signed-in caller's address.
  assert.is((await call(s.url, 'GET', '/v1/homepage', { token })).headers.get('cache-control'), 'private, max-age=0');
  const anonymous = await call(s.url, 'GET', '/v1/inventory/SKU-00001');
  assert.is(anonymous.status, 200);
  assert.is(anonymous.headers.get('cache-control'), null);
  assert.match(anonymous.headers.get('vary') ?? '', /\bAuthorization\b/, 'a shared cache keeps the anonymous copy for anonymous callers only');
  const unchanged = await fetch(`${s.url}/v1/inventory/SKU-00001`, { headers: { 'if-none-match': anonymous.headers.get('etag')! } });
  assert.is(unchanged.status, 304);
  assert.match(unchanged.headers.get('vary') ?? '', /\bAuthorization\b/);
  const signedIn = await call(s.url, 'GET', '/v1/inventory/SKU-00001', { token });
  assert.is(signedIn.headers.get('cache-control'), 'no-store');
});

test('the storefront: pages are HTML with a strict CSP; assets are content-hashed, immutable and precompressed', async () => {
  for (const path of ['/', '/search?q=x', '/product/SKU-00001', '/cart', '/signup', '/account', '/orders', '/orders/o12345678', '/admin']) {
    const r = await raw(path);
    assert.is(r.status, 200, path);
    assert.match(String(r.headers['content-type']), /^text\/html/);
    assert.match(String(r.headers['content-security-policy']), /script-src 'self'/);
  }
  const html = (await raw('/')).body.toString();
  const js = /src="(\/assets\/store\.[0-9a-f]{12}\.js)"/.exec(html)?.[1];
  const css = /href="(\/assets\/app\.[0-9a-f]{12}\.css)"/.exec(html)?.[1];
  assert.ok(js && css, 'hashed asset URLs in the page');
  const a = await raw(js!, { 'accept-encoding': 'br' });
  assert.is(a.status, 200);
  assert.is(a.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.is(a.headers['content-encoding'], 'br');
  assert.match(String(a.headers['content-type']), /javascript/);
  const again = await raw(js!, { 'if-none-match': String(a.headers.etag) });
  assert.is(again.status, 304);
  // A cache that holds several versions sends a list, and weak validators (RFC 9110).
  assert.is((await raw(js!, { 'if-none-match': `"other", W/${String(a.headers.etag)}` })).status, 304);
  const style = await raw(css!);
  assert.match(style.body.toString(), /--brand/);
  assert.is((await raw('/assets/store.000000000000.js')).status, 404);
  // A page's form sent by the browser itself (before the script had it) is the page again:
  // 303 to the same path and query, the fields unread; never to another site.
  for (const path of ['/login?next=%2Forders', '/account', '/admin']) {
    const sent = await fetch(`${s.url}${path}`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'email=a%40b.c&password=secret' });
    assert.is(sent.status, 303, path);
    assert.is(sent.headers.get('location'), path);
  }
  assert.is((await fetch(`${s.url}//evil.example/login`, { method: 'POST', redirect: 'manual' })).headers.get('location'), null);
  // The API's own 404 stays JSON.
  assert.is((await call(s.url, 'GET', '/v1/nothing')).body.error.code, 'not_found');
  // A path outside the API is a page for a browser and JSON for everyone else, so the
  // answer says it varies with Accept (a shared cache must not hand one to the other).
  const page = await fetch(`${s.url}/no-such-page`, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
  assert.is(page.status, 404);
  assert.match(page.headers.get('content-type') ?? '', /text\/html/);
  assert.match(page.headers.get('vary') ?? '', /\bAccept\b/);
  await page.arrayBuffer();
  for (const accept of ['application/json', '*/*', 'text/html;q=0']) {
    const api = await fetch(`${s.url}/no-such-page`, { headers: { accept } });
    assert.is(api.status, 404, accept);
    assert.is(((await api.json()) as { error: { code: string } }).error.code, 'not_found', accept);
    assert.match(api.headers.get('vary') ?? '', /\bAccept\b/, accept);
  }
});

/** The headers a client could rely on, values that vary per request left out. */
function shape(r: Res): Record<string, string | null> {
  const h = (name: string) => r.headers.get(name);
  return {
    type: h('content-type'), encoding: h('content-encoding'), vary: h('vary'), retryAfter: h('retry-after'),
    limit: h('ratelimit-limit'), policy: h('ratelimit-policy'), remaining: h('ratelimit-remaining') === null ? null : 'set',
    requestId: h('x-request-id') === null ? null : 'set',
    exposed: h('access-control-expose-headers'), allowOrigin: h('access-control-allow-origin'),
    cache: h('cache-control'),
  };
}

/** An error body with its request id checked against the header and then left out. */
function errorOf(r: Res): unknown {
  assert.is(r.body.error.requestId, r.headers.get('x-request-id'), 'the body names the request id the header carries');
  const { requestId: _, ...rest } = r.body.error;
  return rest;
}

async function servedFast(): Promise<{ get: number; add: number; place: number; pay: number }> {
  const text = String((await call(s.url, 'GET', '/metrics')).body);
  const count = (route: string) => Number(new RegExp(`shop_http_fast_lane_total\\{route="${route.replace(/\//g, '\\/')}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
  return { get: count('/v1/cart'), add: count('/v1/cart/items'), place: count('/v1/checkout'), pay: count('/v1/orders/:orderId/pay') };
}

test('the cart\'s read and add answered ahead of the chain (cart-fast.ts) are the chain\'s answers, errors included', async () => {
  const { token } = await signup(s.url);
  // The first sight of a token: the chain asks the session entity and the cache keeps the answer.
  assert.is((await call(s.url, 'GET', '/v1/cart', { token })).status, 200);
  const before = await servedFast();

  const fastEmpty = await call(s.url, 'GET', '/v1/cart', { token });
  const chainEmpty = await call(s.url, 'GET', '/v1/cart?via=chain', { token });
  assert.is(fastEmpty.status, 200);
  assert.equal(fastEmpty.body, chainEmpty.body);
  assert.equal(shape(fastEmpty), shape(chainEmpty));

  const fastAdd = await call(s.url, 'POST', '/v1/cart/items', { token, body: { sku: 'SKU-00001', qty: 1 } });
  const chainAdd = await call(s.url, 'POST', '/v1/cart/items', { token, body: { sku: 'SKU-00001', qty: 1 }, headers: { 'idempotency-key': randomUUID() } });
  assert.is(fastAdd.status, 200);
  assert.is(chainAdd.status, 200);
  assert.is(fastAdd.body.items[0].qty, 1);
  assert.is(chainAdd.body.items[0].qty, 2, 'both adds applied, once each');
  assert.equal(shape(fastAdd), shape(chainAdd));

  const badBodies: { body: unknown; headers?: Record<string, string>; status: number; code: string }[] = [
    { body: { sku: 5, qty: 1 }, status: 400, code: 'invalid_request' },
    { body: { sku: 'SKU-00001', qty: 500 }, status: 422, code: 'validation_failed' },
    { body: '{"sku": ', status: 400, code: 'malformed_json' },
    { body: '   ', status: 400, code: 'invalid_request' },
    { body: { sku: 'NO-SUCH-SKU', qty: 1 }, status: 404, code: 'unknown_sku' },
  ];
  for (const bad of badBodies) {
    const fast = await call(s.url, 'POST', '/v1/cart/items', { token, body: bad.body });
    const chain = await call(s.url, 'POST', '/v1/cart/items', { token, body: bad.body, headers: { 'idempotency-key': randomUUID() } });
    assert.is(fast.status, bad.status, JSON.stringify(bad.body));
    assert.is(fast.body.error.code, bad.code);
    assert.equal(errorOf(fast), errorOf(chain), JSON.stringify(bad.body));
    assert.equal(shape(fast), shape(chain));
  }

  // Enough lines for the view to be worth compressing: both compress it alike.
  for (let i = 2; i <= 12; i++) await call(s.url, 'POST', '/v1/cart/items', { token, body: { sku: `SKU-${String(i).padStart(5, '0')}`, qty: 1 } });
  const gzipFast = await call(s.url, 'GET', '/v1/cart', { token, headers: { 'accept-encoding': 'gzip' } });
  const gzipChain = await call(s.url, 'GET', '/v1/cart?via=chain', { token, headers: { 'accept-encoding': 'gzip' } });
  assert.is(gzipFast.headers.get('content-encoding'), 'gzip');
  assert.equal(gzipFast.body, gzipChain.body);
  assert.equal(shape(gzipFast), shape(gzipChain));

  // A cross-origin read goes to the chain, which grants the listed origin.
  const crossOrigin = await call(s.url, 'GET', '/v1/cart', { token, headers: { origin } });
  assert.is(crossOrigin.headers.get('access-control-allow-origin'), origin);
  assert.equal(crossOrigin.body, gzipFast.body);

  const named = await call(s.url, 'POST', '/v1/cart/items', { token, body: { sku: 'SKU-00001', qty: 0 }, headers: { 'x-request-id': 'trace-me-1' } });
  assert.is(named.status, 422);
  assert.is(named.headers.get('x-request-id'), 'trace-me-1');
  assert.is(named.body.error.requestId, 'trace-me-1');

  const after = await servedFast();
  assert.ok(after.get >= before.get + 2, `reads served ahead of the chain: ${after.get - before.get}`);
  assert.ok(after.add >= before.add + 1 + badBodies.length + 11, `adds served ahead of the chain: ${after.add - before.add}`);
  const metrics = String((await call(s.url, 'GET', '/metrics')).body);
  assert.match(metrics, /shop_http_requests_total\{method="POST",route="\/v1\/cart\/items",status="422"\} \d+/, 'the fast lane\'s answers are in the HTTP metrics');
});

/** An order's answer with what differs between two orders (its id, its hold's end) left out. */
function orderOf(r: Res): unknown {
  const { orderId: _id, reservedUntil: _until, ...rest } = r.body;
  return rest;
}

test('placing and paying an order ahead of the chain (order-fast.ts) give the chain\'s answers, refusals included', async () => {
  const { token } = await signupBuyer(s.url);
  assert.is((await call(s.url, 'GET', '/v1/cart', { token })).status, 200); // the cache now vouches for the token
  for (const [sku, onHand] of [['SKU-00004', 50], ['SKU-00005', 0]] as const) {
    const put = await call(s.url, 'PUT', `/v1/admin/inventory/${sku}`, { token: adminToken, body: { warehouses: [{ warehouseId: 'wh-east', onHand }] } });
    assert.is(put.status, 200, JSON.stringify(put.body));
  }
  const before = await servedFast();
  const items = [{ sku: 'SKU-00004', qty: 2 }];
  const chainKey = () => ({ 'idempotency-key': randomUUID() });

  const fastPlaced = await call(s.url, 'POST', '/v1/checkout', { token, body: { items } });
  const chainPlaced = await call(s.url, 'POST', '/v1/checkout', { token, body: { items }, headers: chainKey() });
  assert.is(fastPlaced.status, 201, JSON.stringify(fastPlaced.body));
  assert.is(chainPlaced.status, 201);
  assert.is.not(fastPlaced.body.orderId, chainPlaced.body.orderId, 'two orders placed');
  assert.equal(orderOf(fastPlaced), orderOf(chainPlaced));
  assert.equal(shape(fastPlaced), shape(chainPlaced));

  const declined = { paymentMethod: { type: 'card', token: 'tok_decline' } };
  const approved = { paymentMethod: { type: 'card', token: 'tok_ok' } };
  const fastDeclined = await call(s.url, 'POST', `/v1/orders/${fastPlaced.body.orderId}/pay`, { token, body: declined });
  const chainDeclined = await call(s.url, 'POST', `/v1/orders/${chainPlaced.body.orderId}/pay`, { token, body: declined, headers: chainKey() });
  assert.is(fastDeclined.status, 402);
  // The details name each its own order.
  const declinedOf = (r: Res) => ({ ...(errorOf(r) as object), details: Object.keys(r.body.error.details ?? {}).sort() });
  assert.equal(declinedOf(fastDeclined), declinedOf(chainDeclined));
  assert.is(fastDeclined.body.error.details.orderId, fastPlaced.body.orderId);
  assert.equal(shape(fastDeclined), shape(chainDeclined));

  const fastPaid = await call(s.url, 'POST', `/v1/orders/${fastPlaced.body.orderId}/pay`, { token, body: approved });
  const chainPaid = await call(s.url, 'POST', `/v1/orders/${chainPlaced.body.orderId}/pay`, { token, body: approved, headers: chainKey() });
  assert.is(fastPaid.status, 200);
  assert.equal(fastPaid.body, { orderId: fastPlaced.body.orderId, status: 'paid' });
  assert.equal(chainPaid.body, { orderId: chainPlaced.body.orderId, status: 'paid' });
  assert.equal(shape(fastPaid), shape(chainPaid));
  const fastView = await call(s.url, 'GET', `/v1/orders/${fastPlaced.body.orderId}`, { token });
  assert.is(fastView.body.status, 'paid', 'the paid order reads back as paid');

  // Someone else's order is not found, and a user without an address cannot check out,
  // for the lane as for the chain.
  const other = await signup(s.url);
  assert.is((await call(s.url, 'GET', '/v1/cart', { token: other.token })).status, 200);
  const fastForeign = await call(s.url, 'POST', `/v1/orders/${fastPlaced.body.orderId}/pay`, { token: other.token, body: approved });
  const chainForeign = await call(s.url, 'POST', `/v1/orders/${fastPlaced.body.orderId}/pay`, { token: other.token, body: approved, headers: chainKey() });
  assert.is(fastForeign.status, 404);
  assert.equal(errorOf(fastForeign), errorOf(chainForeign));
  const fastNoAddress = await call(s.url, 'POST', '/v1/checkout', { token: other.token, body: { items } });
  const chainNoAddress = await call(s.url, 'POST', '/v1/checkout', { token: other.token, body: { items }, headers: chainKey() });
  assert.is(fastNoAddress.status, 422);
  assert.equal(errorOf(fastNoAddress), errorOf(chainNoAddress));
  assert.equal(shape(fastNoAddress), shape(chainNoAddress));

  const badCalls: { path: string; body: unknown; status: number; code: string }[] = [
    { path: '/v1/checkout', body: { items: [{ sku: 'SKU-00004', qty: 0 }] }, status: 422, code: 'validation_failed' },
    { path: '/v1/checkout', body: { items: 'many' }, status: 400, code: 'invalid_request' },
    { path: '/v1/checkout', body: '{"items": [', status: 400, code: 'malformed_json' },
    { path: '/v1/checkout', body: { items: [{ sku: 'NO-SUCH-SKU', qty: 1 }] }, status: 404, code: 'unknown_sku' },
    { path: '/v1/checkout', body: { items: [{ sku: 'SKU-00004', qty: 99 }] }, status: 422, code: 'quantity_limit' },
    // Sold out: the first refusal comes from the SKU's entity, the second from the sold-out gate,
    // which the lane and the chain share (a keyed checkout, the chain's here, is never gated).
    { path: '/v1/checkout', body: { items: [{ sku: 'SKU-00005', qty: 1 }] }, status: 409, code: 'insufficient_stock' },
    { path: '/v1/checkout', body: { items: [{ sku: 'SKU-00005', qty: 1 }] }, status: 409, code: 'insufficient_stock' },
    { path: `/v1/orders/${fastPlaced.body.orderId}/pay`, body: { paymentMethod: { type: 'cash' } }, status: 400, code: 'invalid_request' },
    { path: '/v1/orders/o0000000000000000000/pay', body: approved, status: 404, code: 'not_found' },
  ];
  for (const bad of badCalls) {
    const fast = await call(s.url, 'POST', bad.path, { token, body: bad.body });
    const chain = await call(s.url, 'POST', bad.path, { token, body: bad.body, headers: chainKey() });
    const what = `${bad.path} ${JSON.stringify(bad.body)}`;
    assert.is(fast.status, bad.status, `${what}: ${JSON.stringify(fast.body)}`);
    assert.is(fast.body.error.code, bad.code, what);
    assert.equal(errorOf(fast), errorOf(chain), what);
    assert.equal(shape(fast), shape(chain), what);
  }

  const after = await servedFast();
  assert.is(after.place - before.place, 1 + 1 + 7, 'placings answered ahead of the chain');
  assert.is(after.pay - before.pay, 3 + 2, 'payments answered ahead of the chain');
  const metrics = String((await call(s.url, 'GET', '/metrics')).body);
  assert.match(metrics, /^shop_checkout_sold_out_refusals_total [1-9]/m, 'the lane refused the sold-out SKU through the gate the chain counts');
  assert.match(metrics, /shop_http_requests_total\{method="POST",route="\/v1\/orders\/:orderId\/pay",status="402"\} \d+/, 'the lane\'s answers are in the HTTP metrics under the chain\'s route');
});

test('after logout the cart\'s fast lane no longer takes the token: the chain refuses it', async () => {
  const { token } = await signup(s.url);
  assert.is((await call(s.url, 'GET', '/v1/cart', { token })).status, 200);
  assert.is((await call(s.url, 'GET', '/v1/cart', { token })).status, 200);
  assert.is((await call(s.url, 'POST', '/v1/auth/logout', { token })).status, 204);
  const read = await call(s.url, 'GET', '/v1/cart', { token });
  assert.is(read.status, 401);
  assert.is(read.body.error.code, 'invalid_token');
  const add = await call(s.url, 'POST', '/v1/cart/items', { token, body: { sku: 'SKU-00001', qty: 1 } });
  assert.is(add.status, 401);
});

test('the homepage answered ahead of the chain carries the chain\'s CORS headers too', async () => {
  const fast = await call(s.url, 'GET', '/v1/homepage');
  // A token the gateway's cache cannot vouch for sends the request through the chain,
  // which answers the anonymous page as well.
  const chain = await call(s.url, 'GET', '/v1/homepage', { token: 'A'.repeat(43) });
  assert.is(fast.status, 200);
  assert.is(chain.status, 200);
  // (Cache-Control differs on purpose: a request with any Authorization is answered private.)
  for (const h of ['vary', 'access-control-expose-headers', 'etag', 'content-type']) {
    assert.is(fast.headers.get(h), chain.headers.get(h), h);
  }
  assert.equal(fast.body, chain.body);
});

test.run();
