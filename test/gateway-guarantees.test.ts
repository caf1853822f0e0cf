// What a client relies on when things go wrong, over HTTP against node and gateway
// processes on the real NATS, Redis and MariaDB: a logout reaches every gateway within
// 100 ms although gateways check tokens locally; an Idempotency-Key whose first answer
// had an unknown outcome stays locked; kept answers hold no bearer token and no 429;
// X-Forwarded-For counts only the hop the trusted proxy added; parallel password guesses
// are all counted.
// run-tests: alone (it asserts a logout reaches another gateway within 100 ms)
import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Redis } from 'ioredis';
import { eventually, redisUrl, startApp, type Proc } from './support/harness.ts';
import { call, startStack, type Stack } from './support/gateway.ts';
import { forwardedClient } from '../gateway/client-ip.ts';

let s: Stack;
let b: Proc & { url?: string };
let redis: Redis;
let ipSeq = 1;
/** Each test speaks from its own address (one trusted proxy appends it) so limits do not mix. */
const fromIp = () => ({ 'x-forwarded-for': `198.51.${Math.floor(ipSeq / 250)}.${(ipSeq++ % 250) + 1}` });

test.before(async () => {
  const gatewayEnv = { TRUST_PROXY: '1', ASK_DEADLINE_MS: '1500', IDEMPOTENCY_UNKNOWN_HOLD_MS: '30000', RATE_LIMIT_AUTH_PER_MIN: '3' };
  s = await startStack('gwguarantee', { gatewayEnv });
  b = await startApp(s.env.env, 'gateway', { PORT: '0', ...gatewayEnv });
  redis = new Redis(redisUrl);
});
test.after(async () => {
  redis?.disconnect();
  await b?.kill('SIGKILL');
  await s?.stop();
});

let n = 0;
/** A fresh user, signed up from a fresh address (the auth limit here is 3 a minute per address). */
async function signup(url: string): Promise<{ userId: string; token: string; email: string; password: string }> {
  const email = `g${Date.now()}${n++}@example.com`;
  const password = 'correct horse battery';
  const r = await call(url, 'POST', '/v1/auth/signup', { headers: fromIp(), body: { email, password, name: 'G' } });
  if (r.status !== 201) throw new Error(`signup failed: ${r.status} ${JSON.stringify(r.body)}`);
  return { ...(r.body as { userId: string; token: string }), email, password };
}

async function sessionAsks(url: string): Promise<number> {
  const text = (await call(url, 'GET', '/metrics')).body as string;
  return [...text.matchAll(/^cluster_asks_total\{type="session",outcome="[^"]+"\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
}

test('a logout on gateway A is refused on gateway B within 100 ms; B checks a known token without asking', async () => {
  const u = await signup(s.url);
  assert.is((await call(b.url!, 'GET', '/v1/cart', { token: u.token, headers: fromIp() })).status, 200);
  const asksBefore = await sessionAsks(b.url!);
  for (let i = 0; i < 20; i++) assert.is((await call(b.url!, 'GET', '/v1/cart', { token: u.token, headers: fromIp() })).status, 200);
  assert.is(await sessionAsks(b.url!), asksBefore, 'twenty requests with a known token asked no session entity');

  const out = await call(s.url, 'POST', '/v1/auth/logout', { token: u.token, headers: fromIp() });
  assert.is(out.status, 204);
  const loggedOutAt = performance.now();
  // The time that counts is when the refused request was sent: on a loaded machine the
  // HTTP round trip of the probe itself can take longer than the feed.
  let sentAt = 0;
  await eventually(async () => {
    sentAt = performance.now();
    return (await call(b.url!, 'GET', '/v1/cart', { token: u.token, headers: fromIp() })).status === 401;
  }, 2000, 5);
  const took = sentAt - loggedOutAt;
  assert.ok(took <= 100, `gateway B still accepted the token in a request sent ${took.toFixed(1)} ms after the logout`);
  // And it stays refused (no stale answer refills the cache).
  assert.is((await call(b.url!, 'GET', '/v1/cart', { token: u.token, headers: fromIp() })).status, 401);
});

test('X-Forwarded-For: the hop the trusted proxy added counts, not what the client wrote', async () => {
  assert.is(forwardedClient('6.6.6.6, 203.0.113.9', 1), '203.0.113.9');
  assert.is(forwardedClient('6.6.6.6, 203.0.113.9, 10.0.0.2', 2), '203.0.113.9');
  assert.is(forwardedClient('203.0.113.9', 2), '203.0.113.9');
  // A port some proxies append is not part of the address (GeoIP found nothing with it).
  assert.is(forwardedClient('81.2.69.160:4711', 1), '81.2.69.160');
  assert.is(forwardedClient('6.6.6.6, [2001:db8::1]:443', 1), '2001:db8::1');
  assert.is(forwardedClient('2001:db8::1', 1), '2001:db8::1');
  // Four signups from one client, each claiming another address: the 4th is over RATE_LIMIT_AUTH_PER_MIN=3.
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) {
    const r = await call(s.url, 'POST', '/v1/auth/signup', {
      headers: { 'x-forwarded-for': `10.9.9.${i + 1}, 203.0.113.77` }, body: { email: `xff${Date.now()}${i}@example.com`, password: 'password123', name: 'X' },
    });
    statuses.push(r.status);
  }
  assert.equal(statuses, [201, 201, 201, 429]);
});

test('logins that succeed are not counted against the address; failed ones are, and the 429 describes that limit', async () => {
  const ip = fromIp();
  const u = await signup(s.url);
  // Ten correct logins from one address, over RATE_LIMIT_AUTH_PER_MIN=3: all 200.
  for (let i = 0; i < 10; i++) assert.is((await call(s.url, 'POST', '/v1/auth/login', { headers: ip, body: { email: u.email, password: u.password } })).status, 200, `login ${i + 1}`);
  // Three failures use the address's budget; the fourth attempt, right or wrong, is refused.
  for (let i = 0; i < 3; i++) assert.is((await call(s.url, 'POST', '/v1/auth/login', { headers: ip, body: { email: u.email, password: 'wrong' } })).status, 401);
  const refused = await call(s.url, 'POST', '/v1/auth/login', { headers: ip, body: { email: u.email, password: u.password } });
  assert.equal([refused.status, refused.body.error.code], [429, 'rate_limited']);
  const h = (name: string) => refused.headers.get(name);
  assert.ok(Number(h('retry-after')) >= 1);
  assert.equal([h('ratelimit-limit'), h('ratelimit-remaining'), h('ratelimit-reset'), h('ratelimit-policy')], ['3', '0', h('retry-after'), '3;w=60'],
    'the headers of the limit that refused, not of the per-IP request limit');
});

test('parallel wrong passwords are all counted: at most LOGIN_FAILURES_PER_MIN (10) are checked', async () => {
  const u = await signup(s.url);
  const tries = await Promise.all(Array.from({ length: 30 }, (_, i) =>
    call(s.url, 'POST', '/v1/auth/login', { headers: fromIp(), body: { email: u.email, password: `wrong-${i}` } })));
  const checked = tries.filter((r) => r.status === 401).length;
  const limited = tries.filter((r) => r.status === 429).length;
  assert.ok(checked <= 10, `${checked} guesses were checked`);
  assert.is(checked + limited, 30);
  // A right password within the limit still works and gives its count back.
  const v = await signup(s.url);
  for (let i = 0; i < 5; i++) assert.is((await call(s.url, 'POST', '/v1/auth/login', { headers: fromIp(), body: { email: v.email, password: v.password } })).status, 200);
  assert.is((await call(s.url, 'POST', '/v1/auth/login', { headers: fromIp(), body: { email: v.email, password: 'wrong' } })).status, 401);
});

const idemKey = (scope: string, key: string) => `${s.env.cluster}:idem:${scope}:${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;

test('a replayed signup or login answers the first body, its token too, which Redis never holds in the clear', async () => {
  const ip = fromIp();
  const email = `idemtok${Date.now()}@example.com`;
  const opts = { headers: { ...ip, 'idempotency-key': 'su-1' }, body: { email, password: 'password123', name: 'T' } };
  const first = await call(s.url, 'POST', '/v1/auth/signup', opts);
  assert.is(first.status, 201);
  const stored = await redis.get(idemKey('anon', 'su-1'));
  assert.ok(stored, 'the answer is kept');
  assert.not.ok(stored!.includes(first.body.token), 'the token is not in Redis');
  const replay = await call(s.url, 'POST', '/v1/auth/signup', opts);
  assert.equal([replay.status, replay.headers.get('idempotent-replayed'), JSON.stringify(replay.body)], [201, 'true', JSON.stringify(first.body)], 'the first response again (API.md)');
  // Retried from another network (another address): the same first answer, not 409 email_taken.
  const moved = await call(s.url, 'POST', '/v1/auth/signup', { ...opts, headers: { ...fromIp(), 'idempotency-key': 'su-1' } });
  assert.equal([moved.status, JSON.stringify(moved.body)], [201, JSON.stringify(first.body)], 'a retry from another address');
  const sessions = await s.sql<{ n: number }>('SELECT COUNT(*) AS n FROM sessions WHERE user_id = ?', [first.body.userId]);
  assert.is(Number(sessions[0]!.n), 1, 'no second session: the work was not done twice');

  const login = { headers: { ...ip, 'idempotency-key': 'li-1' }, body: { email, password: 'password123' } };
  const l1 = await call(s.url, 'POST', '/v1/auth/login', login);
  const l2 = await call(s.url, 'POST', '/v1/auth/login', login);
  assert.equal([l2.status, JSON.stringify(l2.body)], [200, JSON.stringify(l1.body)]);
  assert.is((await call(s.url, 'GET', '/v1/me', { token: l2.body.token, headers: ip })).body.userId, first.body.userId);
  // The same key with another password is another request, never the first one's token.
  const other = await call(s.url, 'POST', '/v1/auth/login', { ...login, body: { email, password: 'not-the-password' } });
  assert.is(other.body.error.code, 'idempotency_key_reused');
});

test('a 429 is not kept: once the limit allows, the same key does the work', async () => {
  const ip = fromIp();
  for (let i = 0; i < 3; i++) await call(s.url, 'POST', '/v1/auth/login', { headers: ip, body: { email: `nobody${i}@example.com`, password: 'password123' } });
  const email = `late${Date.now()}@example.com`;
  const opts = { headers: { ...ip, 'idempotency-key': 'late-1' }, body: { email, password: 'password123', name: 'L' } };
  const limited = await call(s.url, 'POST', '/v1/auth/signup', opts);
  assert.is(limited.status, 429);
  // The minute ends (its counter goes away): the same request with the same key now signs up.
  await redis.del(`${s.env.cluster}:rl:auth:${ip['x-forwarded-for']}`);
  const later = await call(s.url, 'POST', '/v1/auth/signup', opts);
  assert.is(later.status, 201, JSON.stringify(later.body));
  assert.is(later.headers.get('idempotent-replayed'), null);
});

test('an answer whose outcome is unknown keeps the Idempotency-Key locked: the retry gets 409, never a second add', async () => {
  const u = await signup(s.url);
  const ip = fromIp();
  const seen = await call(s.url, 'GET', '/v1/cart', { token: u.token, headers: ip });
  assert.is(seen.status, 200);
  const node = s.nodes[0]!;
  node.child.kill('SIGSTOP');
  let first;
  try {
    first = await call(s.url, 'POST', '/v1/cart/items', { token: u.token, headers: { ...ip, 'idempotency-key': 'add-unknown' }, body: { sku: 'SKU-00004', qty: 1 } });
  } finally {
    node.child.kill('SIGCONT');
  }
  assert.is(first.status, 503);
  assert.is(first.body.error.code, 'timeout');
  const retry = await call(s.url, 'POST', '/v1/cart/items', { token: u.token, headers: { ...ip, 'idempotency-key': 'add-unknown' }, body: { sku: 'SKU-00004', qty: 1 } });
  assert.is(retry.status, 409);
  assert.is(retry.body.error.code, 'request_in_progress');
  assert.ok(Number(retry.headers.get('retry-after')) >= 1);
});

test.run();
