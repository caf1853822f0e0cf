// Bad input on every route with a body: malformed JSON, wrong types, missing fields,
// out-of-range values, unknown SKUs, huge bodies and strings, unicode — always the
// documented 4xx, never a 5xx, and the stored data unchanged afterwards.
import { connect } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { adminToken, call, signup, startStack, type Stack } from './support/gateway.ts';

let s: Stack;
let user: { token: string; userId: string };
let other: { token: string };
test.before(async () => {
  s = await startStack('gwinput');
  user = await signup(s.url, 'Input Tester');
  other = await signup(s.url, 'Other');
  await call(s.url, 'POST', '/v1/cart/items', { token: user.token, body: { sku: 'SKU-00004', qty: 2 } });
  await call(s.url, 'POST', '/v1/wishlist/items', { token: user.token, body: { sku: 'SKU-00004' } });
  await call(s.url, 'POST', '/v1/me/addresses', { token: user.token, body: { line1: '1 A St', city: 'Boston', region: 'MA', country: 'US', postalCode: '02101' } });
  await call(s.url, 'PUT', '/v1/admin/inventory/SKU-00004', { token: adminToken, body: { warehouses: [{ warehouseId: 'wh-east', onHand: 40 }] } });
});
test.after(async () => {
  await s?.stop();
});

async function snapshot() {
  const [me, cart, wl, inv] = await Promise.all([
    call(s.url, 'GET', '/v1/me', { token: user.token }), call(s.url, 'GET', '/v1/cart', { token: user.token }),
    call(s.url, 'GET', '/v1/wishlist', { token: user.token }), call(s.url, 'GET', '/v1/inventory/SKU-00004'),
  ]);
  return { me: me.body, cart: cart.body, wl: wl.body, inv: inv.body };
}

type Case = [label: string, body: unknown, status: number, code: string, headers?: Record<string, string>];
const long = 'x'.repeat(10_000);
const big = JSON.stringify({ name: 'y'.repeat(2 * 1024 * 1024) });

/** Cases every route with a JSON body gets. */
const common: Case[] = [
  ['malformed JSON', '{"a": ', 400, 'malformed_json'],
  ['empty body', '', 400, 'invalid_request'],
  ['an array', '[]', 400, 'invalid_request'],
  ['null', 'null', 400, 'invalid_request'],
  ['a 2 MiB body', big, 413, 'body_too_large'],
  ['not JSON media type', 'name=x', 415, 'unsupported_media_type', { 'content-type': 'application/x-www-form-urlencoded' }],
  // Media types that only begin like JSON's: a JSON Patch is a list of operations, not the object the route reads.
  ['JSON Patch media type', '{"qty":1}', 415, 'unsupported_media_type', { 'content-type': 'application/json-patch+json' }],
  ['a list of media types', '{"qty":1}', 415, 'unsupported_media_type', { 'content-type': 'application/json, text/plain' }],
  // Valid JSON, not Unicode: stored as U+FFFD, or refused by MariaDB's JSON check (a 500).
  ['a lone surrogate escape', '{"name":"A\\ud800B","line1":"\\udc00","sku":"SKU-00004","qty":1}', 400, 'malformed_json'],
];

const routes: { method: string; path: string; token?: () => string; cases: Case[] }[] = [
  { method: 'POST', path: '/v1/auth/signup', cases: [
    ['missing fields', {}, 400, 'invalid_request'],
    ['wrong types', { email: 5, password: true, name: [] }, 400, 'invalid_request'],
    ['not an email', { email: 'nope', password: 'password123', name: 'N' }, 422, 'validation_failed'],
    ['short password', { email: 'short@example.com', password: 'short', name: 'N' }, 422, 'validation_failed'],
    // Eight UTF-16 units, four characters: the rule counts characters of what is hashed.
    ['four emoji as a password', { email: 'emoji@example.com', password: '😀😀😀😀', name: 'N' }, 422, 'validation_failed'],
    ['four accented letters, decomposed', { email: 'nfd@example.com', password: 'e\u0301e\u0301e\u0301e\u0301', name: 'N' }, 422, 'validation_failed'],
    ['a NUL in the name', { email: 'nul@example.com', password: 'password123', name: 'A\u0000B' }, 422, 'validation_failed'],
    ['10,000-character name', { email: 'long@example.com', password: 'password123', name: long }, 422, 'validation_failed'],
    ['10,000-character email', { email: `${long}@example.com`, password: 'password123', name: 'N' }, 422, 'validation_failed'],
  ] },
  { method: 'POST', path: '/v1/auth/login', cases: [
    ['missing fields', { email: 'a@example.com' }, 400, 'invalid_request'],
    ['wrong types', { email: 1, password: 2 }, 400, 'invalid_request'],
    ['10,000-character password', { email: 'a@example.com', password: long }, 422, 'validation_failed'],
    ['unicode, unknown account', { email: 'ünï@例え.jp', password: '密码密码密码密码' }, 401, 'invalid_credentials'],
  ] },
  { method: 'PATCH', path: '/v1/me', token: () => user.token, cases: [
    ['wrong type', { name: 42 }, 400, 'invalid_request'],
    ['blank name', { name: '   ' }, 422, 'validation_failed'],
    ['10,000-character name', { name: long }, 422, 'validation_failed'],
    ['a field that cannot be changed here', { email: 'x@example.com', rewardPoints: 99999 }, 400, 'invalid_request'],
  ] },
  { method: 'POST', path: '/v1/me/addresses', token: () => user.token, cases: [
    ['missing fields', { line1: '1 Main' }, 400, 'invalid_request'],
    ['wrong types', { line1: 1, city: 2, region: 3, country: 4, postalCode: 5 }, 400, 'invalid_request'],
    ['bad country', { line1: '1 Main', city: 'X', region: 'Y', country: 'USA', postalCode: '1' }, 422, 'validation_failed'],
    ['10,000-character line', { line1: long, city: 'X', region: 'Y', country: 'US', postalCode: '1' }, 422, 'validation_failed'],
    ['isDefault not a boolean', { line1: '1 Main', city: 'X', region: 'Y', country: 'US', postalCode: '1', isDefault: 'yes' }, 400, 'invalid_request'],
  ] },
  { method: 'POST', path: '/v1/cart/items', token: () => user.token, cases: [
    ['missing sku', { qty: 1 }, 400, 'invalid_request'],
    ['missing qty', { sku: 'SKU-00001' }, 400, 'invalid_request'],
    ['qty "x"', { sku: 'SKU-00001', qty: 'x' }, 400, 'invalid_request'],
    ['qty 0', { sku: 'SKU-00001', qty: 0 }, 422, 'validation_failed'],
    ['qty -1', { sku: 'SKU-00001', qty: -1 }, 422, 'validation_failed'],
    ['qty 100', { sku: 'SKU-00001', qty: 100 }, 422, 'validation_failed'],
    ['qty 1.5', { sku: 'SKU-00001', qty: 1.5 }, 422, 'validation_failed'],
    ['unknown SKU', { sku: 'SKU-99999', qty: 1 }, 404, 'unknown_sku'],
    ['unicode SKU', { sku: 'SKU-ü😀', qty: 1 }, 422, 'validation_failed'],
    ['10,000-character SKU', { sku: long, qty: 1 }, 422, 'validation_failed'],
    ['over 99 in the cart', { sku: 'SKU-00004', qty: 98 }, 422, 'quantity_limit'],
  ] },
  { method: 'PATCH', path: '/v1/cart/items/SKU-00004', token: () => user.token, cases: [
    ['missing qty', {}, 400, 'invalid_request'],
    ['qty "x"', { qty: 'x' }, 400, 'invalid_request'],
    ['qty -1', { qty: -1 }, 422, 'validation_failed'],
    ['qty 100', { qty: 100 }, 422, 'validation_failed'],
  ] },
  { method: 'PATCH', path: '/v1/cart/items/SKU-00007', token: () => user.token, cases: [
    ['a SKU not in the cart', { qty: 3 }, 404, 'line_not_found'],
  ] },
  { method: 'POST', path: '/v1/wishlist/items', token: () => user.token, cases: [
    ['missing sku', {}, 400, 'invalid_request'],
    ['wrong type', { sku: 12 }, 400, 'invalid_request'],
    ['unknown SKU', { sku: 'SKU-99999' }, 404, 'unknown_sku'],
    ['10,000-character SKU', { sku: long }, 422, 'validation_failed'],
  ] },
  { method: 'PUT', path: '/v1/admin/inventory/SKU-00004', token: () => adminToken, cases: [
    ['missing warehouses', {}, 400, 'invalid_request'],
    ['wrong types', { warehouses: [{ warehouseId: 1, onHand: 'many' }] }, 400, 'invalid_request'],
    ['negative stock', { warehouses: [{ warehouseId: 'wh-east', onHand: -1 }] }, 422, 'validation_failed'],
    ['no warehouses', { warehouses: [] }, 422, 'validation_failed'],
    ['unknown warehouse', { warehouses: [{ warehouseId: 'wh-atlantis', onHand: 5 }] }, 422, 'unknown_warehouse'],
    ['a warehouse twice', { warehouses: [{ warehouseId: 'wh-east', onHand: 5 }, { warehouseId: 'wh-east', onHand: 6 }] }, 422, 'duplicate_warehouse'],
  ] },
];

test('every route with a body answers bad input with the documented 4xx and changes nothing', async () => {
  const before = await snapshot();
  for (const route of routes) {
    for (const [label, body, status, code, headers] of [...common, ...route.cases]) {
      const token = route.token?.();
      const what = `${route.method} ${route.path} ${label}`;
      const r = await call(s.url, route.method, route.path, { body, ...(token ? { token } : {}), ...(headers ? { headers } : {}) })
        .catch((err: unknown) => { throw new Error(`${what}: ${String(err)} ${String((err as Error).cause)}`); });
      assert.ok(r.status < 500, `${what}: ${r.status}`);
      assert.is(r.status, status, `${what}: ${JSON.stringify(r.body).slice(0, 300)}`);
      assert.is(r.body?.error?.code, code, `${what}: ${JSON.stringify(r.body).slice(0, 300)}`);
      if (status === 400 && code === 'invalid_request' && typeof body === 'object' && body !== null && !Array.isArray(body)) {
        assert.ok(Array.isArray(r.body.error.details) && r.body.error.details.length > 0, `${what}: details name the fields`);
      }
      if (Array.isArray(r.body?.error?.details)) {
        const fields = (r.body.error.details as { field?: string }[]).map((d) => d.field);
        assert.is(new Set(fields).size, fields.length, `${what}: one problem per field: ${JSON.stringify(fields)}`);
      }
    }
  }
  assert.equal(await snapshot(), before, 'nothing changed');
  const lines = await s.sql<{ n: number }>('SELECT COUNT(*) AS n FROM cart_lines WHERE user_id = ?', [user.userId]);
  assert.is(Number(lines[0]!.n), 1);
});

test('path parameters and unicode: 4xx, never 5xx', async () => {
  assert.is((await call(s.url, 'DELETE', `/v1/cart/items/${encodeURIComponent('SKU ü')}`, { token: user.token })).status, 400);
  assert.is((await call(s.url, 'DELETE', `/v1/wishlist/items/${'x'.repeat(300)}`, { token: user.token })).status, 400);
  assert.is((await call(s.url, 'GET', `/v1/inventory/${encodeURIComponent('😀')}`)).status, 400);
  assert.is((await call(s.url, 'DELETE', `/v1/me/addresses/${encodeURIComponent('../../etc')}`, { token: user.token })).status, 404);
  // Unicode that is valid is stored and read back as sent.
  const r = await call(s.url, 'PATCH', '/v1/me', { token: other.token, body: { name: 'Ωmega ✓ 🚀 مرحبا' } });
  assert.is(r.status, 200);
  assert.is((await call(s.url, 'GET', '/v1/me', { token: other.token })).body.name, 'Ωmega ✓ 🚀 مرحبا');
  const email = `uni${Date.now()}@example.com`;
  const sig = await call(s.url, 'POST', '/v1/auth/signup', { body: { email, password: 'пароль-пароль', name: '山田 太郎' } });
  assert.is(sig.status, 201);
  const login = await call(s.url, 'POST', '/v1/auth/login', { body: { email, password: 'пароль-пароль' } });
  assert.is(login.status, 200, 'a unicode password works');
  // An email with spaces around it signs up as login finds it: trimmed.
  const spaced = `spaced${Date.now()}@example.com`;
  assert.is((await call(s.url, 'POST', '/v1/auth/signup', { body: { email: `  ${spaced} `, password: 'password123', name: 'Spaced' } })).status, 201);
  assert.is((await call(s.url, 'POST', '/v1/auth/login', { body: { email: spaced, password: 'password123' } })).status, 200);
});

test('a body that is not UTF-8 is 400 malformed_json, never stored with U+FFFD in its place', async () => {
  const before = (await call(s.url, 'GET', '/v1/me', { token: other.token })).body.name;
  // {"name":"Zo\xeb"}: a Latin-1 "ë", which had been stored as "Zo\uFFFD".
  const latin1 = Buffer.concat([Buffer.from('{"name":"Zo'), Buffer.from([0xeb]), Buffer.from('"}')]);
  const sends: [string, string, Buffer][] = [
    ['PATCH', '/v1/me', latin1],
    ['POST', '/v1/cart/items', Buffer.concat([Buffer.from('{"sku":"SKU-00004","qty":1,"note":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')])],
    ['POST', '/v1/checkout', Buffer.concat([Buffer.from('{"couponCode":"'), Buffer.from([0xc3]), Buffer.from('"}')])],
  ];
  for (const [method, path, bytes] of sends) {
    const res = await fetch(s.url + path, { method, headers: { authorization: `Bearer ${other.token}`, 'content-type': 'application/json' }, body: new Uint8Array(bytes) });
    const body = await res.json() as { error: { code: string; message: string } };
    assert.is(res.status, 400, `${method} ${path}`);
    assert.is(body.error.code, 'malformed_json', `${method} ${path}`);
    assert.match(body.error.message, /UTF-8/);
  }
  assert.is((await call(s.url, 'GET', '/v1/me', { token: other.token })).body.name, before, 'the name is as it was');
  assert.equal((await call(s.url, 'GET', '/v1/cart', { token: other.token })).body.items, [], 'nothing was added');
});

/** Sends raw bytes and reads the whole answer (the server closes the connection). */
function raw(bytes: string): Promise<string> {
  const { hostname, port } = new URL(s.url);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(port), hostname, () => sock.write(bytes));
    let got = '';
    sock.setEncoding('utf8');
    sock.on('data', (d) => void (got += d));
    sock.on('end', () => resolve(got));
    sock.on('error', reject);
  });
}

test('what Node refuses before any handler (headers over 16 KiB, bytes that are not HTTP) still has the error body and X-Request-Id', async () => {
  const cases: [string, string, number, string][] = [
    ['a 20 KB path', `GET /v1/products/${'A'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 431, 'headers_too_large'],
    ['a 60 KB header', `GET /v1/products/SKU-00004 HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(60_000)}\r\n\r\n`, 431, 'headers_too_large'],
    ['not HTTP', 'HELLO THERE\r\n\r\n', 400, 'malformed_request'],
  ];
  for (const [what, bytes, status, code] of cases) {
    const answer = await raw(bytes);
    const [head, body] = answer.split('\r\n\r\n');
    assert.ok(head!.startsWith(`HTTP/1.1 ${status} `), `${what}: ${head}`);
    const id = /\r\nX-Request-Id: (\S+)/i.exec(head!)?.[1];
    assert.ok(id, `${what}: X-Request-Id`);
    assert.equal(JSON.parse(body!).error, { code, message: JSON.parse(body!).error.message, details: null, requestId: id }, what);
  }
  assert.is((await call(s.url, 'GET', '/v1/inventory/SKU-00004')).status, 200, 'and the gateway serves on');
});

/** Sends `bytes`, then ends the client's side (a half-close), and reads the whole answer. */
function rawThenEnd(bytes: string): Promise<string> {
  const { hostname, port } = new URL(s.url);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(port), hostname, () => sock.end(bytes));
    let got = '';
    sock.setEncoding('utf8');
    sock.on('data', (d) => void (got += d));
    sock.on('end', () => resolve(got));
    sock.on('error', reject);
  });
}

test('a connection that ends before the body does is 400 body_incomplete (API.md), on the fast lane and the chain alike', async () => {
  const cases: [string, string][] = [
    ['cart add (fast lane)', `POST /v1/cart/items HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${user.token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"sku":"SKU-`],
    ['password (chain)', `POST /v1/me/password HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${user.token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"curr`],
    ['chunked signup', 'POST /v1/auth/signup HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"ema'],
  ];
  for (const [what, bytes] of cases) {
    const answer = await rawThenEnd(bytes);
    const [head, body] = answer.split('\r\n\r\n');
    assert.ok(head!.startsWith('HTTP/1.1 400 '), `${what}: ${head}`);
    assert.is(JSON.parse(body!).error.code, 'body_incomplete', what);
  }
  // Headers cut short are still not HTTP.
  const cut = await rawThenEnd('POST /v1/cart/items HTTP/1.1\r\nHost: x\r\nContent-Le');
  assert.is(JSON.parse(cut.split('\r\n\r\n')[1]!).error.code, 'malformed_request');
  assert.is((await call(s.url, 'GET', '/v1/cart', { token: user.token })).status, 200, 'and the gateway serves on');
});

test('a lone surrogate in a homepage document or a product is 400/422, not a 500 or a product search lists but cannot store', async () => {
  const doc = '{"countries":["PT"],"bestSellers":{"categories":1,"perCategory":1},"flashSale":{"title":"Sale \\ud800","skus":["SKU-00004"]}}';
  const page = await call(s.url, 'PUT', '/v1/admin/homepage/lone', { token: adminToken, body: doc });
  assert.equal([page.status, page.body.error.code], [400, 'malformed_json'], JSON.stringify(page.body));
  const product = '{"sku":"LONE-1","title":"K\\ud800","brand":"B","category":"home","price":1,"currency":"USD","attributes":{},"supplierId":"s"}';
  const one = await call(s.url, 'POST', '/v1/admin/products', { token: adminToken, body: product });
  assert.equal([one.status, one.body.error.code], [400, 'malformed_json']);
  const bulk = await call(s.url, 'POST', '/v1/admin/products', { token: adminToken, body: product, headers: { 'content-type': 'application/x-ndjson' } });
  assert.equal([bulk.status, bulk.body.error.details[0].line], [422, 1], JSON.stringify(bulk.body));
  // A surrogate pair escaped is a character like any other.
  const pair = await call(s.url, 'PATCH', '/v1/me', { token: other.token, body: '{"name":"Rocket \\ud83d\\ude80"}' });
  assert.equal([pair.status, pair.body.name], [200, 'Rocket 🚀']);
});

test('a bad Idempotency-Key is a 400, not a 500', async () => {
  const r = await call(s.url, 'POST', '/v1/wishlist/items', { token: user.token, body: { sku: 'SKU-00004' }, headers: { 'idempotency-key': 'x'.repeat(300) } });
  assert.is(r.status, 400);
  assert.is(r.body.error.code, 'invalid_idempotency_key');
});

test.run();
