// The cart's read and add answered ahead of the middleware chain (gateway/routes/cart-fast.ts)
// must be the chain's answers: the same statuses, bodies, errors and headers. Each call is
// made twice, once as the fast lane takes it and once in a form only the chain takes (a
// query string on the read, an Idempotency-Key on the add), and the two are compared.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { call, signup, startStack, type Res, type Stack } from './support/gateway.ts';

let s: Stack;
test.before(async () => {
  s = await startStack('cartfast');
});
test.after(async () => {
  await s?.stop();
});

/** The headers a client could rely on, values that vary per request left out. */
function shape(r: Res): Record<string, string | null> {
  const h = (name: string) => r.headers.get(name);
  return {
    type: h('content-type'), encoding: h('content-encoding'), vary: h('vary'), retryAfter: h('retry-after'),
    limit: h('ratelimit-limit'), policy: h('ratelimit-policy'), remaining: h('ratelimit-remaining') === null ? null : 'set',
    requestId: h('x-request-id') === null ? null : 'set',
  };
}

/** An error body with its request id checked against the header and then left out. */
function errorOf(r: Res): unknown {
  assert.is(r.body.error.requestId, r.headers.get('x-request-id'), 'the body names the request id the header carries');
  const { requestId: _, ...rest } = r.body.error;
  return rest;
}

async function servedFast(): Promise<{ get: number; add: number }> {
  const text = String((await call(s.url, 'GET', '/metrics')).body);
  const count = (route: string) => Number(new RegExp(`shop_http_fast_lane_total\\{route="${route.replace(/\//g, '\\/')}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
  return { get: count('/v1/cart'), add: count('/v1/cart/items') };
}

test('reads and adds answered ahead of the chain are the chain\'s answers, errors included', async () => {
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

test('after logout the fast lane no longer takes the token: the chain refuses it', async () => {
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

test.run();
