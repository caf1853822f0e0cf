// A user's own sessions and password over HTTP, against node and gateway processes on the
// real NATS, Redis and MariaDB: GET /v1/me/sessions lists the live ones (newest first, at
// most 100, no token hashes), DELETE /v1/me/sessions/:id and revoke-others end sessions
// exactly as a logout does (a second gateway refuses the token within 100 ms), and
// POST /v1/me/password changes the password durably, ends the other sessions, and counts a
// wrong current password against the account's failed logins.
// run-tests: alone (it asserts a revocation reaches another gateway within 100 ms)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { SessionApi, issueToken } from '../actors/session/index.ts';
import { UsersService } from '../actors/users/index.ts';
import { ClusterClient, RejectedError } from '../cluster/index.ts';
import { createPool } from '../stores/mysql/index.ts';
import { UserRepository, type UserCredentials } from '../stores/mysql/users.ts';
import { eventually, natsConnection, startApp, type Proc } from './support/harness.ts';
import { call, startStack, type Res, type Stack } from './support/gateway.ts';

let s: Stack;
let b: Proc & { url?: string };
let ipSeq = 1;
/** Each call speaks from its own address (one trusted proxy appends it) so per-address limits do not mix. */
const fromIp = () => ({ 'x-forwarded-for': `198.51.${Math.floor(ipSeq / 250)}.${(ipSeq++ % 250) + 1}` });

test.before(async () => {
  const gatewayEnv = { TRUST_PROXY: '1', LOGIN_FAILURES_PER_MIN: '3' };
  s = await startStack('mesessions', { gatewayEnv });
  b = await startApp(s.env.env, 'gateway', { PORT: '0', ...gatewayEnv });
});
test.after(async () => {
  await b?.kill('SIGKILL');
  await s?.stop();
});

let n = 0;
const password = 'correct horse battery';
async function signup(): Promise<{ userId: string; token: string; email: string }> {
  const email = `ms${Date.now()}${n++}@example.com`;
  const r = await call(s.url, 'POST', '/v1/auth/signup', { headers: { ...fromIp(), 'user-agent': 'signup-agent' }, body: { email, password, name: 'M' } });
  if (r.status !== 201) throw new Error(`signup failed: ${r.status} ${JSON.stringify(r.body)}`);
  return { ...(r.body as { userId: string; token: string }), email };
}
async function login(email: string, pw = password, agent = 'login-agent'): Promise<Res> {
  return call(s.url, 'POST', '/v1/auth/login', { headers: { ...fromIp(), 'user-agent': agent }, body: { email, password: pw } });
}
async function loggedIn(email: string, agent?: string): Promise<string> {
  const r = await login(email, password, agent);
  if (r.status !== 200) throw new Error(`login failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.token as string;
}
const get = (url: string, path: string, token?: string) => call(url, 'GET', path, { token, headers: fromIp() });
const req = (method: string, path: string, token?: string, body?: unknown, headers: Record<string, string> = {}) =>
  call(s.url, method, path, { token, body, headers: { ...fromIp(), ...headers } });
const sessionIdOfToken = async (token: string) => {
  const me = await get(s.url, '/v1/me/sessions', token);
  return (me.body.items as { sessionId: string; current: boolean }[]).find((i) => i.current)!.sessionId;
};

/** Sends requests with `token` to gateway B until one is refused; how long after `since` the refused one was sent. */
async function refusedOnB(token: string, since: number): Promise<number> {
  let sentAt = 0;
  await eventually(async () => {
    sentAt = performance.now();
    return (await get(b.url!, '/v1/cart', token)).status === 401;
  }, 2000, 5);
  return sentAt - since;
}

test('GET /v1/me/sessions: the live sessions, newest first, the current one marked, no token hashes', async () => {
  const u = await signup();
  const second = await loggedIn(u.email, 'phone-agent');
  const third = await loggedIn(u.email, 'tablet-agent');
  const r = await get(s.url, '/v1/me/sessions', u.token);
  assert.is(r.status, 200);
  const items = r.body.items as Record<string, unknown>[];
  assert.equal(items.map((i) => i.device), ['tablet-agent', 'phone-agent', 'signup-agent'], 'newest first');
  assert.equal(items.map((i) => i.current), [false, false, true]);
  for (const i of items) {
    assert.equal(Object.keys(i).sort(), ['createdAt', 'current', 'device', 'lastSeenAt', 'sessionId']);
    assert.match(String(i.sessionId), /^[0-9a-f]{32}$/);
    assert.ok(!Number.isNaN(Date.parse(String(i.createdAt))) && !Number.isNaN(Date.parse(String(i.lastSeenAt))));
  }
  const stored = await s.sql<{ token_hash: string }>('SELECT token_hash FROM sessions WHERE user_id = ?', [u.userId]);
  for (const row of stored) assert.not.ok(JSON.stringify(r.body).includes(row.token_hash.slice(32)), 'no part of a token hash past the session id');
  // Another token of the same user sees the same list with itself marked.
  const fromThird = await get(b.url!, '/v1/me/sessions', third);
  assert.equal((fromThird.body.items as { current: boolean }[]).map((i) => i.current), [true, false, false]);
  // A logged-out session is not listed.
  assert.is((await req('POST', '/v1/auth/logout', second)).status, 204);
  assert.equal(((await get(s.url, '/v1/me/sessions', u.token)).body.items as { device: string }[]).map((i) => i.device), ['tablet-agent', 'signup-agent']);
  // Without a token, or with a bad one.
  const none = await get(s.url, '/v1/me/sessions');
  assert.equal([none.status, none.body.error.code], [401, 'unauthenticated']);
  const bad = await get(s.url, '/v1/me/sessions', second);
  assert.equal([bad.status, bad.body.error.code], [401, 'invalid_token']);
});

test('GET /v1/me/sessions: a user with many sessions gets the newest 100; expired ones are left out', async () => {
  const u = await signup();
  const now = Date.now();
  const rows = Array.from({ length: 150 }, (_, i) => {
    const t = issueToken();
    return [t.sessionId, t.tokenHash, u.userId, `bulk-${i}`, now - 3_600_000 + i * 1000, now + 3_600_000, now - 3_600_000 + i * 1000, null];
  });
  // One expired an hour ago: not live, whatever its age.
  const expired = issueToken();
  rows.push([expired.sessionId, expired.tokenHash, u.userId, 'expired', now - 1000, now - 1, now - 1000, null]);
  await s.sql('INSERT INTO sessions (session_id, token_hash, user_id, device, created_at, expires_at, last_seen_at, revoked_at) VALUES ?', [rows]);
  const r = await get(s.url, '/v1/me/sessions', u.token);
  assert.is(r.status, 200);
  const devices = (r.body.items as { device: string }[]).map((i) => i.device);
  assert.is(devices.length, 100);
  assert.is(devices[0], 'signup-agent', 'the signup is the newest');
  assert.equal(devices.slice(1, 4), ['bulk-149', 'bulk-148', 'bulk-147']);
  assert.not.ok(devices.includes('expired'));
});

test('DELETE /v1/me/sessions/:id ends that session on every gateway within 100 ms; another user\'s or an unknown id is 404', async () => {
  const u = await signup();
  const other = await loggedIn(u.email, 'other-device');
  const otherId = await sessionIdOfToken(other);
  // Gateway B knows the token (cached: it would answer without asking).
  for (let i = 0; i < 3; i++) assert.is((await get(b.url!, '/v1/cart', other)).status, 200);

  const stranger = await signup();
  const strangers = await req('DELETE', `/v1/me/sessions/${otherId}`, stranger.token);
  assert.equal([strangers.status, strangers.body.error.code], [404, 'not_found'], "another user's session");
  assert.is((await get(b.url!, '/v1/cart', other)).status, 200, 'and it was not ended');
  const unknown = await req('DELETE', `/v1/me/sessions/${randomBytes(16).toString('hex')}`, u.token);
  assert.equal([unknown.status, unknown.body.error.code], [404, 'not_found'], 'an unknown id');
  const malformed = await req('DELETE', '/v1/me/sessions/not-a-session', u.token);
  assert.equal([malformed.status, malformed.body.error.code], [404, 'not_found'], 'a malformed id');
  assert.is((await req('DELETE', `/v1/me/sessions/${otherId}`)).status, 401, 'without a token');

  const out = await req('DELETE', `/v1/me/sessions/${otherId}`, u.token);
  assert.is(out.status, 204);
  const took = await refusedOnB(other, performance.now());
  assert.ok(took <= 100, `gateway B still accepted the ended session's token in a request sent ${took.toFixed(1)} ms after the 204`);
  assert.is((await get(s.url, '/v1/cart', other)).status, 401);
  assert.is((await get(s.url, '/v1/cart', u.token)).status, 200, 'the caller\'s own session stays');
  assert.equal(((await get(s.url, '/v1/me/sessions', u.token)).body.items as unknown[]).length, 1);
  const row = await s.sql<{ revoked_at: number | null }>('SELECT revoked_at FROM sessions WHERE session_id = ?', [otherId]);
  assert.ok(row[0]!.revoked_at !== null, 'stored as revoked');
  // Asked again (its answer lost): done, not "who?".
  assert.is((await req('DELETE', `/v1/me/sessions/${otherId}`, u.token)).status, 204);

  // Ending the current one is a logout.
  const currentId = await sessionIdOfToken(u.token);
  assert.is((await req('DELETE', `/v1/me/sessions/${currentId}`, u.token)).status, 204);
  const after = await get(s.url, '/v1/cart', u.token);
  assert.equal([after.status, after.body.error.code], [401, 'invalid_token']);
});

test('POST /v1/me/sessions/revoke-others ends every other session, the current one stays', async () => {
  const u = await signup();
  // One at a time: parallel logins are each counted until they succeed (LOGIN_FAILURES_PER_MIN=3 here).
  const others: string[] = [];
  for (const d of ['a', 'b', 'c', 'd']) others.push(await loggedIn(u.email, `dev-${d}`));
  for (const t of others) assert.is((await get(b.url!, '/v1/cart', t)).status, 200);
  const stranger = await signup();

  const bad = await req('POST', '/v1/me/sessions/revoke-others', u.token, 'not json', { 'content-type': 'text/plain' });
  assert.is(bad.status, 415, 'a body that is not JSON');
  assert.is((await req('POST', '/v1/me/sessions/revoke-others')).status, 401);

  const r = await req('POST', '/v1/me/sessions/revoke-others', u.token, undefined, { 'idempotency-key': 'ro-1' });
  assert.equal([r.status, r.body], [200, { revoked: 4 }]);
  const since = performance.now();
  const took = await Promise.all(others.map((t) => refusedOnB(t, since)));
  assert.ok(Math.max(...took) <= 100, `gateway B still accepted a revoked token ${took.map((t) => t.toFixed(1)).join(', ')} ms after the answer`);
  assert.is((await get(s.url, '/v1/cart', u.token)).status, 200, 'the current session stays');
  assert.equal(((await get(s.url, '/v1/me/sessions', u.token)).body.items as { current: boolean }[]).map((i) => i.current), [true]);
  assert.is((await get(s.url, '/v1/cart', stranger.token)).status, 200, "another user's session is untouched");
  const replay = await req('POST', '/v1/me/sessions/revoke-others', u.token, undefined, { 'idempotency-key': 'ro-1' });
  assert.equal([replay.status, replay.headers.get('idempotent-replayed'), replay.body], [200, 'true', { revoked: 4 }], 'a replay answers the first');
  assert.equal((await req('POST', '/v1/me/sessions/revoke-others', u.token)).body, { revoked: 0 }, 'nothing left to end');
});

test('revoke-others ends any number of sessions (past one batch) and all of them stop working', async () => {
  const u = await signup();
  const now = Date.now();
  const tokens = Array.from({ length: 230 }, () => issueToken());
  await s.sql('INSERT INTO sessions (session_id, token_hash, user_id, device, created_at, expires_at, last_seen_at, revoked_at) VALUES ?',
    [tokens.map((t, i) => [t.sessionId, t.tokenHash, u.userId, `bulk-${i}`, now - 60_000 + i, now + 3_600_000, now - 60_000 + i, null])]);
  // A few of them are known to gateway B.
  for (const t of tokens.slice(0, 5)) assert.is((await get(b.url!, '/v1/cart', t.token)).status, 200);
  const r = await req('POST', '/v1/me/sessions/revoke-others', u.token);
  assert.equal([r.status, r.body], [200, { revoked: 230 }]);
  const left = await s.sql<{ n: number }>('SELECT COUNT(*) AS n FROM sessions WHERE user_id = ? AND revoked_at IS NULL', [u.userId]);
  assert.is(Number(left[0]!.n), 1, 'only the current one is live');
  for (const t of [...tokens.slice(0, 5), tokens[229]!]) assert.is((await get(b.url!, '/v1/cart', t.token)).status, 401);
  assert.is((await get(b.url!, '/v1/cart', u.token)).status, 200);
});

test('POST /v1/me/password: errors (400, 401, 422 naming the field, same password) change nothing', async () => {
  const u = await signup();
  const p = (body: unknown) => req('POST', '/v1/me/password', u.token, body);
  assert.is((await req('POST', '/v1/me/password', undefined, { currentPassword: password, newPassword: 'new password 1' })).status, 401, 'without a token');
  const missing = await p({ currentPassword: password });
  assert.equal([missing.status, missing.body.error.code, missing.body.error.details[0].field], [400, 'invalid_request', 'newPassword']);
  const mistyped = await p({ currentPassword: password, newPassword: 12345678 });
  assert.equal([mistyped.status, mistyped.body.error.code], [400, 'invalid_request']);
  const short = await p({ currentPassword: password, newPassword: 'short' });
  assert.equal([short.status, short.body.error.code, short.body.error.details], [422, 'validation_failed', [{ field: 'newPassword', problem: 'at least 8 characters' }]]);
  const same = await p({ currentPassword: password, newPassword: password });
  assert.equal([same.status, same.body.error.code, same.body.error.details[0].field], [422, 'validation_failed', 'newPassword']);
  const wrong = await p({ currentPassword: 'not my password', newPassword: 'new password 1' });
  assert.equal([wrong.status, wrong.body.error.code], [401, 'invalid_credentials']);
  assert.is((await login(u.email)).status, 200, 'the password is unchanged');
  assert.is((await get(s.url, '/v1/cart', u.token)).status, 200, 'a wrong current password logs nobody out');
});

test('POST /v1/me/password: stored at once, other sessions end (on every gateway), the current stays; old password fails, new works', async () => {
  const u = await signup();
  const other = await loggedIn(u.email, 'laptop');
  assert.is((await get(b.url!, '/v1/cart', other)).status, 200);
  const before = await s.sql<{ password_hash: Buffer }>('SELECT password_hash FROM users WHERE user_id = ?', [u.userId]);
  const r = await req('POST', '/v1/me/password', u.token, { currentPassword: password, newPassword: 'a brand new secret' });
  assert.is(r.status, 204);
  const answeredAt = performance.now();
  const after = await s.sql<{ password_hash: Buffer }>('SELECT password_hash FROM users WHERE user_id = ?', [u.userId]);
  assert.not.ok(after[0]!.password_hash.equals(before[0]!.password_hash), 'the new hash is committed when answered');
  const took = await refusedOnB(other, answeredAt);
  assert.ok(took <= 100, `gateway B still accepted the other session ${took.toFixed(1)} ms after the 204`);
  assert.is((await get(s.url, '/v1/cart', u.token)).status, 200, 'the current token keeps working');
  assert.is((await get(b.url!, '/v1/cart', u.token)).status, 200);
  const old = await login(u.email, password);
  assert.equal([old.status, old.body.error.code], [401, 'invalid_credentials']);
  assert.is((await login(u.email, 'a brand new secret')).status, 200);
  // The same request again (its answer lost): the change is done; answered 204, not 401.
  assert.is((await req('POST', '/v1/me/password', u.token, { currentPassword: password, newPassword: 'a brand new secret' })).status, 204);
  assert.equal(((await get(s.url, '/v1/me/sessions', u.token)).body.items as { current: boolean }[]).map((i) => i.current), [true], 'the retry ended the session the login opened');
});

test('a wrong current password counts against the per-account failed-login limit (LOGIN_FAILURES_PER_MIN=3), shared with login', async () => {
  const u = await signup();
  const p = (currentPassword: string) => req('POST', '/v1/me/password', u.token, { currentPassword, newPassword: 'whatever 12345' });
  // Each refusal checked two passwords (the current one, and the new one as a possible
  // retry of a change already stored), so it counts twice: the third request is refused.
  for (let i = 0; i < 2; i++) assert.is((await p(`guess-${i}`)).status, 401, `guess ${i + 1}`);
  assert.equal((await p('guess-2')).status, 429, 'two refusals used up three failures and more');
  const limited = await p(password);
  assert.equal([limited.status, limited.body.error.code], [429, 'rate_limited'], 'the right password too, past the limit');
  assert.ok(Number(limited.headers.get('retry-after')) >= 1);
  const viaLogin = await login(u.email, password);
  assert.equal([viaLogin.status, viaLogin.body.error.code], [429, 'rate_limited'], 'login shares the count');

  // And failed logins count against the password change.
  const v = await signup();
  for (let i = 0; i < 3; i++) assert.is((await login(v.email, `guess-${i}`)).status, 401);
  const refused = await req('POST', '/v1/me/password', v.token, { currentPassword: password, newPassword: 'whatever 12345' });
  assert.equal([refused.status, refused.body.error.code], [429, 'rate_limited']);
  // A change that succeeds gives its count back.
  const w = await signup();
  for (let i = 0; i < 2; i++) assert.is((await login(w.email, `guess-${i}`)).status, 401);
  assert.is((await req('POST', '/v1/me/password', w.token, { currentPassword: password, newPassword: 'whatever 12345' })).status, 204);
  assert.is((await login(w.email, 'whatever 12345')).status, 200, 'within the limit still');
});

test('a login checking the old password while the password changes does not keep a session', async () => {
  const u = await signup();
  const pool = createPool(s.env.mysqlUrl, { connectionLimit: 2 });
  const nc = await natsConnection();
  try {
    // The change lands between the login's read of the credentials and its session: the
    // change ends the other sessions before the login has opened one.
    class ChangedMeanwhile extends UserRepository {
      override async credentialsByEmail(email: string): Promise<UserCredentials | undefined> {
        const cred = await super.credentialsByEmail(email);
        const r = await req('POST', '/v1/me/password', u.token, { currentPassword: password, newPassword: 'changed meanwhile' });
        if (r.status !== 204) throw new Error(`password change: ${r.status}`);
        return cred;
      }
    }
    const client = new ClusterClient(nc, { cluster: s.env.cluster, shards: Number(s.env.env.SHARDS ?? 64), deadlineMs: 5000, inFlightLimit: 100 });
    const users = new UsersService({ users: new ChangedMeanwhile(pool), sessions: new SessionApi(client), cache: undefined as never, onChange: () => undefined, sessionTtlMs: 3_600_000 });
    const out = await users.login({ email: u.email, password }, 'racing-login').then(() => 'logged in', (err: unknown) => (err instanceof RejectedError ? err.code : String(err)));
    assert.is(out, 'invalid_credentials', 'the old password no longer logs in');
    const live = await s.sql<{ device: string }>('SELECT device FROM sessions WHERE user_id = ? AND revoked_at IS NULL', [u.userId]);
    assert.equal(live.map((r) => r.device), ['signup-agent'], 'only the changer\'s own session is live');
  } finally {
    await nc.close();
    await pool.end();
  }
});

test.run();
