// Idempotency-Key, rate limits and load shedding over HTTP against the running stack.
import { test } from 'uvu';
import { limitedAs } from '../gateway/client-ip.ts';
import * as assert from 'uvu/assert';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { Redis } from 'ioredis';
import { redisUrl, startApp } from './support/harness.ts';
import { adminToken, call, startStack, type Stack } from './support/gateway.ts';

let s: Stack;
let ipSeq = 1;
/** Each test speaks from its own address (the gateway trusts X-Forwarded-For here) so limits do not mix. */
const fromIp = () => ({ 'x-forwarded-for': `10.0.${Math.floor(ipSeq / 250)}.${(ipSeq++ % 250) + 1}` });

test.before(async () => {
  s = await startStack('gwlimits', { gatewayEnv: { TRUST_PROXY: '1', RATE_LIMIT_PER_SEC: '60' } });
});
test.after(async () => {
  await s?.stop();
});

async function newUser(ip: Record<string, string>) {
  const email = `lim${Date.now()}${ipSeq}@example.com`;
  const r = await call(s.url, 'POST', '/v1/auth/signup', { headers: ip, body: { email, password: 'password123', name: 'L' } });
  assert.is(r.status, 201);
  return { ...(r.body as { userId: string; token: string }), email };
}

test('the same Idempotency-Key and body: the first response again, the work done once', async () => {
  const ip = fromIp();
  const u = await newUser(ip);
  const opts = { token: u.token, headers: { ...ip, 'idempotency-key': 'add-1' }, body: { sku: 'SKU-00003', qty: 2 } };
  const first = await call(s.url, 'POST', '/v1/cart/items', opts);
  const again = await call(s.url, 'POST', '/v1/cart/items', opts);
  assert.is(first.status, 200);
  assert.is(again.status, first.status);
  assert.equal(again.body, first.body);
  assert.is(again.headers.get('idempotent-replayed'), 'true');
  assert.is((await call(s.url, 'GET', '/v1/cart', { token: u.token, headers: ip })).body.items[0].qty, 2, 'added once');
  // The same body spelt otherwise (keys in another order, white space) is the same request.
  const respelt = await call(s.url, 'POST', '/v1/cart/items', { ...opts, body: '{ "qty": 2,\n  "sku": "SKU-00003" }' });
  assert.equal([respelt.status, respelt.headers.get('idempotent-replayed')], [200, 'true'], JSON.stringify(respelt.body));
  // A key with a space in it is printable ASCII too.
  const spaced = await call(s.url, 'POST', '/v1/cart/items', { ...opts, headers: { ...ip, 'idempotency-key': 'add 1b' } });
  assert.is(spaced.status, 200);
  assert.is((await call(s.url, 'GET', '/v1/cart', { token: u.token, headers: ip })).body.items[0].qty, 4);

  // Concurrent repeats: one does the work, the others wait for it and get its answer.
  const copies = await Promise.all(Array.from({ length: 6 }, () =>
    call(s.url, 'POST', '/v1/cart/items', { ...opts, headers: { ...ip, 'idempotency-key': 'add-2' }, body: { sku: 'SKU-00006', qty: 1 } })));
  for (const c of copies) {
    assert.is(c.status, 200);
    assert.equal(c.body, copies[0]!.body);
  }
  const rows = await s.sql<{ qty: number }>('SELECT qty FROM cart_lines WHERE user_id = ? AND sku = ?', [u.userId, 'SKU-00006']);
  assert.is(rows[0]!.qty, 1, 'six concurrent copies added one unit');

  const reused = await call(s.url, 'POST', '/v1/cart/items', { ...opts, body: { sku: 'SKU-00003', qty: 5 } });
  assert.is(reused.status, 422);
  assert.is(reused.body.error.code, 'idempotency_key_reused');
  assert.is((await call(s.url, 'GET', '/v1/cart', { token: u.token, headers: ip })).body.items[0].qty, 4, 'the reused key did nothing');
});

test('a signup kept before fingerprints were canonical (raw body, token sealed under it) still replays, token and all', async () => {
  // The kept answer as a gateway of the earlier version wrote it, planted as it would be found.
  const sha = (...parts: string[]) => parts.reduce((h, p) => h.update(p), createHash('sha256'));
  const key = 'legacy-signup-1';
  const device = 'legacy-device-01';
  const raw = JSON.stringify({ email: `legacy${Date.now()}@example.com`, password: 'password123', name: 'Legacy' });
  const token = 'tok-legacy-0123456789';
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sha('shop idempotency token\n', key, '\n', raw).digest(), iv);
  const sealedText = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
  const done = {
    s: 'done', fp: sha('POST /v1/auth/signup\n', raw).digest('hex'), status: 201, body: JSON.stringify({ userId: 'u-legacy', token: '' }),
    type: 'application/json', sealed: Buffer.concat([iv, cipher.getAuthTag(), sealedText]).toString('base64url'),
  };
  const redis = new Redis(redisUrl);
  try {
    await redis.set(`${s.env.cluster}:idem:device:${device}:${sha(key).digest('hex').slice(0, 40)}`, JSON.stringify(done), 'EX', 60);
  } finally {
    redis.disconnect();
  }
  const replay = await call(s.url, 'POST', '/v1/auth/signup', { headers: { ...fromIp(), 'idempotency-key': key, 'x-device-id': device }, body: raw });
  assert.equal([replay.status, replay.body, replay.headers.get('idempotent-replayed')], [201, { userId: 'u-legacy', token }, 'true']);
});

test('a deeply nested body with a key is refused as without one (400), never a 500', async () => {
  const deep = '['.repeat(6000) + ']'.repeat(6000);
  const plain = await call(s.url, 'POST', '/v1/auth/signup', { headers: fromIp(), body: deep });
  const keyed = await call(s.url, 'POST', '/v1/auth/signup', { headers: { ...fromIp(), 'idempotency-key': 'deep-1' }, body: deep });
  assert.equal([plain.status, keyed.status], [400, 400], JSON.stringify(keyed.body));
});

test('idempotent signup: one account, the same user; errors are replayed too; keys are per caller', async () => {
  const ip = fromIp();
  const email = `idem${Date.now()}@example.com`;
  const opts = { headers: { ...ip, 'idempotency-key': 'signup-1' }, body: { email, password: 'password123', name: 'I' } };
  const a = await call(s.url, 'POST', '/v1/auth/signup', opts);
  const b = await call(s.url, 'POST', '/v1/auth/signup', opts);
  assert.is(a.status, 201);
  // The first answer again, its token too (kept sealed, gateway-guarantees.test.ts).
  assert.equal([b.status, b.body], [201, a.body]);
  // Spelt otherwise, the same signup: the same answer, its token unsealed too.
  const respelt = await call(s.url, 'POST', '/v1/auth/signup', { ...opts, body: JSON.stringify({ name: 'I', password: 'password123', email }) });
  assert.equal([respelt.status, respelt.body], [201, a.body]);
  const users = await s.sql<{ n: number }>('SELECT COUNT(*) AS n FROM users WHERE email = ?', [email]);
  assert.is(Number(users[0]!.n), 1);

  const miss = { token: a.body.token, headers: { ...ip, 'idempotency-key': 'wl-1' }, body: { sku: 'SKU-99999' } };
  const m1 = await call(s.url, 'POST', '/v1/wishlist/items', miss);
  const m2 = await call(s.url, 'POST', '/v1/wishlist/items', miss);
  assert.is(m1.status, 404);
  assert.equal([m2.status, m2.body], [m1.status, m1.body]);

  // Another user with the same key is a different request.
  const other = await newUser(ip);
  const o = await call(s.url, 'POST', '/v1/wishlist/items', { ...miss, token: other.token, body: { sku: 'SKU-00001' } });
  assert.is(o.status, 200);
  assert.is(o.body.items[0].sku, 'SKU-00001');
});

test('an operator\'s Idempotency-Key is the operator\'s: no token gets no replay, and a refused try without the token does not spoil the key', async () => {
  const ip = fromIp();
  const admin = { authorization: `Bearer ${adminToken}` };
  const coupon = (code: string) => ({ code, amountOff: 500, expiresAt: '2099-01-01T00:00:00Z', maxRedemptions: 5 });
  const code = `IDEM${Date.now()}`;
  const made = await call(s.url, 'POST', '/v1/admin/coupons', { headers: { ...ip, ...admin, 'idempotency-key': 'op-1' }, body: coupon(code) });
  assert.is(made.status, 201);
  const replay = await call(s.url, 'POST', '/v1/admin/coupons', { headers: { ...ip, ...admin, 'idempotency-key': 'op-1' }, body: coupon(code) });
  assert.equal([replay.status, replay.body], [201, made.body], 'the operator\'s own retry replays');
  for (const headers of [{}, { authorization: 'Bearer not-the-admin-token' }] as Record<string, string>[]) {
    const stranger = await call(s.url, 'POST', '/v1/admin/coupons', { headers: { ...ip, ...headers, 'idempotency-key': 'op-1' }, body: coupon(code) });
    assert.is(stranger.status, 403, 'no replay of the operator\'s answer without the token');
    assert.is(stranger.headers.get('idempotent-replayed'), null);
  }
  // Someone without the token tries a key first: the operator's request with it still runs.
  const later = `IDEMB${Date.now()}`;
  const refused = await call(s.url, 'POST', '/v1/admin/coupons', { headers: { ...ip, 'idempotency-key': 'op-2' }, body: coupon(later) });
  assert.is(refused.status, 403);
  const real = await call(s.url, 'POST', '/v1/admin/coupons', { headers: { ...ip, ...admin, 'idempotency-key': 'op-2' }, body: coupon(later) });
  assert.is(real.status, 201, JSON.stringify(real.body));
  const rows = await s.sql<{ n: number }>('SELECT COUNT(*) AS n FROM promo_coupons WHERE code = ?', [later]);
  assert.is(Number(rows[0]!.n), 1);
});

test('an operator\'s retry across the deploy that gave it a scope of its own replays the answer the earlier release kept as anonymous; a kept 403 is not', async () => {
  const sha = (...parts: string[]) => parts.reduce((h, p) => h.update(p), createHash('sha256'));
  const admin = { authorization: `Bearer ${adminToken}` };
  const body = JSON.stringify({ code: `OLD${Date.now()}`, amountOff: 500, expiresAt: '2099-01-01T00:00:00Z', maxRedemptions: 5 });
  const kept = (status: number, answer: unknown) => JSON.stringify({ s: 'done', fp: sha('POST /v1/admin/coupons\n', body).digest('hex'), status, body: JSON.stringify(answer), type: 'application/json' });
  const redis = new Redis(redisUrl);
  try {
    await redis.set(`${s.env.cluster}:idem:anon:${sha('old-op-1').digest('hex').slice(0, 40)}`, kept(201, { code: 'as-first-answered' }), 'EX', 60);
    await redis.set(`${s.env.cluster}:idem:anon:${sha('old-op-2').digest('hex').slice(0, 40)}`, kept(403, { error: { code: 'forbidden' } }), 'EX', 60);
  } finally {
    redis.disconnect();
  }
  const replay = await call(s.url, 'POST', '/v1/admin/coupons', { headers: { ...fromIp(), ...admin, 'idempotency-key': 'old-op-1' }, body });
  assert.equal([replay.status, replay.body, replay.headers.get('idempotent-replayed')], [201, { code: 'as-first-answered' }, 'true']);
  const again = await call(s.url, 'POST', '/v1/admin/coupons', { headers: { ...fromIp(), ...admin, 'idempotency-key': 'old-op-1' }, body });
  assert.equal([again.status, again.body], [201, { code: 'as-first-answered' }], 'kept under the operator\'s scope from then on');
  const notMine = await call(s.url, 'POST', '/v1/admin/coupons', { headers: { ...fromIp(), ...admin, 'idempotency-key': 'old-op-2' }, body });
  assert.is(notMine.status, 201, 'a 403 kept for someone without the token is not the operator\'s answer: the work is done');
});

test('the 11th failed login for one account in a minute is 429 with Retry-After, even with the right password', async () => {
  const u = await newUser(fromIp());
  for (let i = 1; i <= 10; i++) {
    const r = await call(s.url, 'POST', '/v1/auth/login', { headers: fromIp(), body: { email: u.email, password: `wrong-${i}` } });
    assert.is(r.status, 401, `attempt ${i}`);
  }
  const eleventh = await call(s.url, 'POST', '/v1/auth/login', { headers: fromIp(), body: { email: u.email, password: 'wrong-11' } });
  assert.is(eleventh.status, 429);
  assert.is(eleventh.body.error.code, 'rate_limited');
  const retry = Number(eleventh.headers.get('retry-after'));
  assert.ok(retry >= 1 && retry <= 60, `Retry-After ${retry}`);
  assert.is((await call(s.url, 'POST', '/v1/auth/login', { headers: fromIp(), body: { email: u.email, password: 'password123' } })).status, 429);
  // Another account is not affected.
  const v = await newUser(fromIp());
  assert.is((await call(s.url, 'POST', '/v1/auth/login', { headers: fromIp(), body: { email: v.email, password: 'password123' } })).status, 200);
});

test('signup and login attempts per IP: the 31st in a minute is 429', async () => {
  const ip = fromIp();
  for (let i = 1; i <= 30; i++) {
    const r = await call(s.url, 'POST', '/v1/auth/login', { headers: ip, body: { email: `nobody${i}@example.com`, password: 'password123' } });
    assert.is(r.status, 401, `attempt ${i}`);
  }
  const r = await call(s.url, 'POST', '/v1/auth/login', { headers: ip, body: { email: 'nobody@example.com', password: 'password123' } });
  assert.is(r.status, 429);
  assert.ok(Number(r.headers.get('retry-after')) >= 1);
});

test('wrong admin tokens per IP: the 31st in a minute is 429, even with the right token; right ones are not counted', async () => {
  const ip = fromIp();
  // An operator's own calls, many at once too, never use up the allowance.
  const together = await Promise.all(Array.from({ length: 40 }, () => call(s.url, 'GET', '/v1/admin/warehouses', { token: adminToken, headers: ip })));
  assert.equal(together.map((r) => r.status), Array(40).fill(200));
  await new Promise((r) => setTimeout(r, 1100)); // past this second's RATE_LIMIT_PER_SEC (60 here)
  for (let i = 1; i <= 30; i++) {
    const r = await call(s.url, 'GET', '/v1/admin/warehouses', { token: `guess-${i}`, headers: ip });
    assert.is(r.status, 403, `guess ${i}`);
  }
  const over = await call(s.url, 'GET', '/v1/admin/warehouses', { token: 'guess-31', headers: ip });
  assert.is(over.status, 429);
  assert.is(over.body.error.code, 'rate_limited');
  assert.ok(Number(over.headers.get('retry-after')) >= 1);
  // Guessing on through the 429s must not find the token: the right one is refused too.
  assert.is((await call(s.url, 'GET', '/v1/admin/warehouses', { token: adminToken, headers: ip })).status, 429);
  assert.is((await call(s.url, 'GET', '/v1/admin/warehouses', { token: adminToken, headers: fromIp() })).status, 200, 'another address is not affected');
  // Keyed, the right token is refused before its key is claimed: two requests at once with
  // one key and two bodies are not told "reused" (422), which only a claimed key would say
  // and a wrong token never gets.
  const pairs = await Promise.all(Array.from({ length: 5 }, () => {
    const key = { ...ip, 'idempotency-key': `admin-${randomBytes(6).toString('hex')}` };
    return Promise.all([
      call(s.url, 'POST', '/v1/admin/products', { token: adminToken, headers: key, body: [] }),
      call(s.url, 'POST', '/v1/admin/products', { token: adminToken, headers: key, body: [{ sku: 'X' }] }),
    ]);
  }));
  assert.equal(pairs.flat().map((r) => r.status), Array(10).fill(429));
});

test('a signed-in user\'s token on an admin route is 403 every time and never counted as a guess: the operator is not locked out', async () => {
  // Each had counted as a wrong admin token: past 30 in a minute the user got 429 instead of
  // API.md's 403, and the operator's right token was 429 from that address for the rest of
  // the minute. A live session's token is a user on the wrong route, not a guess.
  const ip = fromIp();
  const u = await newUser(ip);
  for (let i = 1; i <= 35; i++) {
    const r = await call(s.url, 'GET', '/v1/admin/warehouses', { token: u.token, headers: ip });
    assert.equal([r.status, r.body.error.code], [403, 'forbidden'], `user call ${i}`);
  }
  assert.is((await call(s.url, 'GET', '/v1/admin/warehouses', { token: adminToken, headers: ip })).status, 200);
  // A token no session vouches for is still a guess, counted as before.
  await new Promise((r) => setTimeout(r, 1100)); // past this second's RATE_LIMIT_PER_SEC (60 here)
  for (let i = 1; i <= 30; i++) assert.is((await call(s.url, 'GET', '/v1/admin/warehouses', { token: `guess-${i}`, headers: ip })).status, 403);
  assert.is((await call(s.url, 'GET', '/v1/admin/warehouses', { token: 'guess-31', headers: ip })).status, 429);
  assert.is((await call(s.url, 'GET', '/v1/admin/warehouses', { token: adminToken, headers: ip })).status, 429);
});

test('a keyed POST outside the admin routes says nothing of whether its token is the admin token', async () => {
  // Its scope had been the operator's for the admin token and the device's for any other:
  // a replay (or none) told a guess right from wrong, and no limit counted such guesses.
  const ip = fromIp();
  const headers = { ...ip, 'x-device-id': `device-${randomBytes(6).toString('hex')}`, 'idempotency-key': `guess-${randomBytes(6).toString('hex')}` };
  const body = { type: 'view', sku: 'SKU-00001' };
  const first = await call(s.url, 'POST', '/v1/events', { headers, body });
  assert.ok(first.status < 500, `${first.status} ${JSON.stringify(first.body)}`);
  const wrong = await call(s.url, 'POST', '/v1/events', { headers: { ...headers, authorization: 'Bearer not-the-admin-token' }, body });
  const right = await call(s.url, 'POST', '/v1/events', { headers: { ...headers, authorization: `Bearer ${adminToken}` }, body });
  assert.is(wrong.headers.get('idempotent-replayed'), 'true');
  assert.equal([right.status, right.headers.get('idempotent-replayed')], [wrong.status, wrong.headers.get('idempotent-replayed')], 'the admin token gets the same answer as a wrong one');
});

test('a keyed login through the gateway keeps a keyed fingerprint in Redis, under the secret the cluster keeps in MariaDB', async () => {
  const ip = fromIp();
  const u = await newUser(ip);
  const key = `login-${randomBytes(6).toString('hex')}`;
  const body = { email: u.email, password: 'password123' };
  const first = await call(s.url, 'POST', '/v1/auth/login', { headers: { ...ip, 'idempotency-key': key }, body });
  assert.is(first.status, 200);
  await new Promise((r) => setTimeout(r, 200)); // the record is written after the answer
  const redis = new Redis(redisUrl);
  try {
    const keyHash = createHash('sha256').update(key).digest('hex').slice(0, 40);
    const names = await redis.keys(`${s.env.cluster}*:idem:*:${keyHash}`);
    assert.is(names.length, 1, `one record: ${names.join(', ')}`);
    const record = JSON.parse((await redis.get(names[0]!))!) as { fp: string };
    assert.match(record.fp, /^h:[0-9a-f]{64}$/, 'an HMAC, not the plain SHA-256 of the body');
  } finally {
    redis.disconnect();
  }
  const secrets = await s.sql<{ name: string }>('SELECT name FROM cluster_secrets');
  assert.equal(secrets.map((r) => r.name), ['idempotency_fingerprint']);
  const again = await call(s.url, 'POST', '/v1/auth/login', { headers: { ...ip, 'idempotency-key': key }, body });
  assert.equal([again.status, again.headers.get('idempotent-replayed'), again.body.token], [200, 'true', first.body.token]);
});

test('IPv6 clients are limited per /64: a new address in the same network is the same client', async () => {
  // One host holds a whole /64 and may speak from any address in it: counted per address,
  // it could try passwords (or sign up) without end by taking a new one each attempt.
  const net = `2001:db8:${(ipSeq++).toString(16)}:7`;
  for (let i = 1; i <= 30; i++) {
    const r = await call(s.url, 'POST', '/v1/auth/login', { headers: { 'x-forwarded-for': `${net}::${i.toString(16)}` }, body: { email: `v6nobody${i}@example.com`, password: 'password123' } });
    assert.is(r.status, 401, `attempt ${i}`);
  }
  const same = await call(s.url, 'POST', '/v1/auth/login', { headers: { 'x-forwarded-for': `${net}:abcd:1234:5678:9abc` }, body: { email: 'v6nobody@example.com', password: 'password123' } });
  assert.is(same.status, 429, 'another address of the same /64');
  const signup = await call(s.url, 'POST', '/v1/auth/signup', { headers: { 'x-forwarded-for': `${net}::ffff` }, body: { email: `v6${Date.now()}@example.com`, password: 'password123', name: 'V' } });
  assert.is(signup.status, 429, 'signups share the limit');
  const other = await call(s.url, 'POST', '/v1/auth/login', { headers: { 'x-forwarded-for': `2001:db8:${(ipSeq++).toString(16)}:8::1` }, body: { email: 'v6nobody@example.com', password: 'password123' } });
  assert.is(other.status, 401, 'another /64 is another client');
});

test('the name a client address is limited under: an IPv6 /64, an IPv4 address, mapped or behind NAT64 as itself', () => {
  assert.is(limitedAs('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
  assert.is(limitedAs('2001:DB8:0001:0002::9'), '2001:db8:1:2::/64');
  assert.is(limitedAs('10.0.0.1'), '10.0.0.1');
  assert.is(limitedAs('::ffff:10.0.0.1'), '10.0.0.1');
  // Every IPv4 client behind a NAT64 translator comes from 64:ff9b::/96: one /64 for all of them.
  assert.is(limitedAs('64:ff9b::192.0.2.1'), '192.0.2.1');
  assert.is(limitedAs('64:ff9b::c000:202'), '192.0.2.2');
});

test('requests per IP per second: past RATE_LIMIT_PER_SEC, 429 with Retry-After; never a 5xx', async () => {
  const ip = fromIp();
  const started = Date.now();
  const results = await Promise.all(Array.from({ length: 200 }, () => call(s.url, 'GET', '/v1/inventory/SKU-00001', { headers: ip })));
  // Windows are whole seconds, so a burst may straddle several of them: at most 60 pass in each.
  const windows = Math.floor(Date.now() / 1000) - Math.floor(started / 1000) + 1;
  const limited = results.filter((r) => r.status === 429);
  const passed = results.filter((r) => r.status === 200).length;
  assert.ok(passed <= 60 * windows, `${passed} passed in ${windows} one-second window(s)`);
  assert.ok(limited.length >= 200 - 60 * windows, `${limited.length} limited`);
  assert.ok(limited.length > 0);
  assert.ok(results.every((r) => r.status < 500));
  assert.is(limited[0]!.headers.get('retry-after'), '1');
  assert.is((await call(s.url, 'GET', '/v1/inventory/SKU-00001', { headers: fromIp() })).status, 200, 'other addresses are not limited');
});

test('over the per-IP limit the homepage\'s fast path refuses as the chain does: same body, none left', async () => {
  const ip = fromIp();
  const results = await Promise.all(Array.from({ length: 150 }, (_, i) => call(s.url, 'GET', i % 2 ? '/v1/homepage' : '/v1/inventory/SKU-00001', { headers: ip })));
  const limited = (path: string) => results.find((r, i) => r.status === 429 && (i % 2 ? '/v1/homepage' : '/v1/inventory/SKU-00001') === path);
  const fast = limited('/v1/homepage');
  const chain = limited('/v1/inventory/SKU-00001');
  assert.ok(fast && chain, 'both paths were limited');
  const { requestId: fastId, ...fastError } = fast.body.error;
  const { requestId: _, ...chainError } = chain.body.error;
  assert.equal(fastError, chainError);
  assert.is(fastId, fast.headers.get('x-request-id'));
  for (const h of ['retry-after', 'ratelimit-remaining', 'ratelimit-limit', 'content-type']) assert.is(fast.headers.get(h), chain.headers.get(h), h);
});

test('past MAX_INFLIGHT_HTTP the gateway sheds with 503 and Retry-After', async () => {
  const gw = await startApp(s.env.env, 'gateway', { PORT: '0', TRUST_PROXY: '1', MAX_INFLIGHT_HTTP: '2' });
  try {
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) =>
      call(gw.url!, 'POST', '/v1/auth/signup', { headers: fromIp(), body: { email: `shed${Date.now()}${i}@example.com`, password: 'password123', name: 'S' } })));
    const shed = results.filter((r) => r.status === 503);
    assert.ok(shed.length > 0, 'some were shed');
    assert.ok(results.filter((r) => r.status === 201).length >= 2, 'the bound still lets work through');
    assert.is(shed[0]!.body.error.code, 'overloaded');
    assert.is(shed[0]!.headers.get('retry-after'), '1');
    assert.is((await call(gw.url!, 'GET', '/healthz')).status, 200);
  } finally {
    await gw.kill();
  }
});

/** Sends the head of a POST that promises 100 bytes and only the first few; resolves with what the gateway answers. */
function trickle(url: string, path: string): { answer: Promise<string>; sent: Promise<void> } {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  let received = '';
  socket.on('data', (d) => void (received += String(d)));
  const answer = new Promise<string>((resolve) => socket.on('close', () => resolve(received)));
  const sent = new Promise<void>((resolve) => socket.on('connect', () => {
    socket.write(`POST ${path} HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: 100\r\nX-Forwarded-For: ${fromIp()['x-forwarded-for']}\r\n\r\n{"em`, () => resolve());
  }));
  return { answer, sent };
}

test('a client that never finishes its body gets 408 within the keep-alive time and a second, and the places it held serve others again', async () => {
  // A request must arrive within HTTP_KEEP_ALIVE_MS + 1 s (6 s here; Node's own bound was 300 s).
  const gw = await startApp(s.env.env, 'gateway', { PORT: '0', TRUST_PROXY: '1', MAX_INFLIGHT_HTTP: '2', HTTP_KEEP_ALIVE_MS: '5000' });
  try {
    // Warm: the probes below must not spend the window on a cold path.
    assert.is((await call(gw.url!, 'GET', '/v1/categories', { headers: fromIp() })).status, 200);
    // The warm request's place is given back as its connection finishes the answer, a moment
    // after the client has it: a trickle sent at once could find both places taken.
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    const slow = [trickle(gw.url!, '/v1/auth/signup'), trickle(gw.url!, '/v1/auth/signup')];
    await Promise.all(slow.map((t) => t.sent));
    // Time for the gateway to read both heads: a probe read before the second would take its
    // place, and the second trickle be shed instead.
    await new Promise((r) => setTimeout(r, 500));
    // Both places are held by bodies still on their way: a whole request is shed meanwhile.
    // Asked until shed, for up to 4 s (the gateway may take a moment to read the two heads
    // on a loaded machine; the trickles' own bound is 6 s).
    let shed = 0;
    while (shed === 0 && Date.now() - started < 4000) {
      if ((await call(gw.url!, 'GET', '/v1/categories', { headers: fromIp() })).status === 503) shed++;
      else await new Promise((r) => setTimeout(r, 25));
    }
    assert.is(shed, 1, 'the two trickling requests held both places');
    const answers = await Promise.all(slow.map((t) => t.answer));
    const waited = Date.now() - started;
    for (const a of answers) {
      assert.match(a, /^HTTP\/1\.1 408 /, a);
      assert.match(a, /"code":"request_timeout"/, a);
    }
    assert.ok(waited < 6000 + 4000, `answered after ${waited} ms, not Node's 300 s`);
    // The server closes each connection as it answers; its request ends (and its place is
    // freed) as that close is seen, a moment after the client saw the answer.
    let after = 0;
    for (let i = 0; i < 40 && after !== 200; i++) {
      after = (await call(gw.url!, 'GET', '/v1/categories', { headers: fromIp() })).status;
      if (after !== 200) await new Promise((r) => setTimeout(r, 50));
    }
    assert.is(after, 200, 'the places are free again');
  } finally {
    await gw.kill();
  }
});

test.run();
