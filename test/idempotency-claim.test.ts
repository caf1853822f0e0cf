// The claim on an Idempotency-Key is this request's own: once it lapsed (a gateway stalled
// past its 10 s lease) and a retry claimed the key, the first request's end neither
// overwrites, deletes nor renews the retry's record. Against the real Redis, with the
// gateway's middleware in a Hono app.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { Redis } from 'ioredis';
import { canonicalBody, idempotency } from '../gateway/idempotency.ts';
import { readJson } from '../gateway/body.ts';
import { toHttp } from '../gateway/errors.ts';
import type { GatewayEnv } from '../gateway/env.ts';
import { redisUrl } from './support/harness.ts';

const prefix = `t_idclaim_${randomBytes(3).toString('hex')}`;
let redis: Redis;

test.before(() => {
  redis = new Redis(redisUrl);
});
test.after(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

test('a request whose claim passed to a retry leaves the retry\'s record alone', async () => {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const app = new Hono<GatewayEnv>();
  app.use('*', idempotency(redis, prefix, { ttlSeconds: 60, unknownHoldMs: 60_000, reissue: async () => 'x' }));
  app.post('/work', async (c) => {
    await held;
    return c.json({ done: 'first' }, 201);
  });
  const first = app.request('/work', { method: 'POST', headers: { 'Idempotency-Key': 'k-1', 'content-type': 'application/json' }, body: '{}' });
  // The first request holds the key; its claim lapses and a retry takes the key meanwhile.
  const [key] = await (async () => {
    for (let i = 0; i < 100; i++) {
      const found = await redis.keys(`${prefix}:idem:*`);
      if (found.length > 0) return found;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('no claim was made');
  })();
  const theirs = JSON.stringify({ s: 'pending', fp: JSON.parse((await redis.get(key!))!).fp, c: 'the-retry' });
  await redis.set(key!, theirs, 'PX', 10_000);
  release();
  assert.is((await first).status, 201, 'the first request still answers its own outcome');
  assert.is(await redis.get(key!), theirs, 'the retry\'s claim is untouched');
  const ttl = await redis.pttl(key!);
  assert.ok(ttl > 0 && ttl <= 10_000, `its lease is its own (${ttl} ms)`);
});

test('a keyed request is one request with its media type: another Content-Type is neither replayed the first answer nor kept its 415', async () => {
  const app = new Hono<GatewayEnv>();
  app.onError((err, c) => {
    const { status, body } = toHttp(err);
    return c.json(body, status as 415);
  });
  app.use('*', idempotency(redis, prefix, { ttlSeconds: 60, unknownHoldMs: 60_000, reissue: async () => 'x' }));
  let done = 0;
  app.post('/add', async (c) => {
    await readJson(c);
    done += 1;
    return c.json({ done }, 201);
  });
  const send = (key: string, type: string) => app.request('/add', { method: 'POST', headers: { 'Idempotency-Key': key, 'content-type': type }, body: '{"sku":"A","qty":1}' });

  assert.is((await send('media-1', 'application/json')).status, 201);
  const plain = await send('media-1', 'text/plain');
  assert.is(plain.status, 415, 'the same bytes as text/plain are not the JSON request: refused, not replayed its 201');
  assert.is(plain.headers.get('idempotent-replayed'), null);
  const again = await send('media-1', 'application/json; charset=utf-8');
  assert.is(again.status, 201, 'a charset parameter leaves it the same request');
  assert.is(again.headers.get('idempotent-replayed'), 'true');
  assert.is(done, 1);

  assert.is((await send('media-2', 'text/plain')).status, 415);
  const corrected = await send('media-2', 'application/json');
  assert.is(corrected.status, 201, 'the retry with the Content-Type corrected does the work, not replayed the 415');
  assert.is(done, 2);
});

test('a keyed login or password change keeps no fast hash of the password in Redis, and still replays', async () => {
  const app = new Hono<GatewayEnv>();
  app.onError((err, c) => {
    const { status, body } = toHttp(err);
    return c.json(body, status as 422);
  });
  const clusterKey = randomBytes(32);
  app.use('*', idempotency(redis, prefix, { ttlSeconds: 60, unknownHoldMs: 60_000, reissue: async () => 'x', fingerprintKey: async () => clusterKey }));
  let logins = 0;
  app.post('/v1/auth/login', async (c) => {
    await readJson(c);
    logins += 1;
    return c.json({ userId: 'u1', token: `secret-token-${logins}` });
  });
  app.post('/v1/me/password', async (c) => {
    await readJson(c);
    return c.body(null, 204);
  });
  const fast = (path: string, body: string) => createHash('sha256').update(`POST ${path}\n`).update(canonicalBody(body)).digest('hex');
  const send = (path: string, key: string, body: string) => app.request(path, { method: 'POST', headers: { 'Idempotency-Key': key, 'content-type': 'application/json' }, body });
  const recordOf = (key: string) => `${prefix}:idem:anon:${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
  const settled = () => new Promise((r) => setTimeout(r, 100)); // the record is written after the answer

  const login = '{"email":"ann@example.com","password":"hunter2hunter2"}';
  assert.equal(await (await send('/v1/auth/login', 'login-key-1', login)).json(), { userId: 'u1', token: 'secret-token-1' });
  const change = '{"currentPassword":"hunter2hunter2","newPassword":"hunter3hunter3"}';
  assert.is((await send('/v1/me/password', 'pw-key-1', change)).status, 204);
  assert.is((await send('/v1/me/password', 'pw-key-2', change)).status, 204);
  await settled();
  const kept = await Promise.all(['login-key-1', 'pw-key-1', 'pw-key-2'].map(async (k) => [k, (await redis.get(recordOf(k)))!] as const));
  for (const [k, v] of kept) {
    assert.not.ok(v.includes(fast('/v1/auth/login', login)) || v.includes(fast('/v1/me/password', change)), `${k} keeps a SHA-256 of the body, password and all: ${v}`);
    assert.not.ok(v.includes('hunter') || v.includes('secret-token'), k);
  }
  const fps = kept.map(([, v]) => JSON.parse(v).fp as string);
  assert.is(new Set(fps).size, fps.length, 'the same passwords under two keys are two different fingerprints');

  const again = await send('/v1/auth/login', 'login-key-1', '{"password":"hunter2hunter2", "email":"ann@example.com"}');
  assert.is(again.headers.get('idempotent-replayed'), 'true');
  assert.equal(await again.json(), { userId: 'u1', token: 'secret-token-1' }, 'the replay opens the sealed token');
  assert.is((await send('/v1/auth/login', 'login-key-1', '{"email":"ann@example.com","password":"hunter2hunter3"}')).status, 422);
  assert.is(logins, 1);

  // A record a release before kept (the plain fingerprint) is still this request's.
  await redis.set(recordOf('pw-legacy'), JSON.stringify({ s: 'done', fp: fast('/v1/me/password', change), status: 204, body: '', type: null }), 'PX', 60_000);
  const legacy = await send('/v1/me/password', 'pw-legacy', change);
  assert.equal([legacy.status, legacy.headers.get('idempotent-replayed')], [204, 'true']);
});

test.run();
