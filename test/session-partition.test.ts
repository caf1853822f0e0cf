// A logout reaches a gateway cut off from NATS without knowing it: its link black-holed (a
// TCP proxy that drops every byte both ways, sockets left open, as a failed switch does), so
// NATS's pings notice nothing for seconds. The gateway's live-session cache answers only
// while a probe through the server sent within 100 ms came back: a token logged out on
// another gateway is refused from then on (401, or 503 while the session entity cannot be
// asked), never served. A fault audit saw such a gateway serve a logged-out token for 2.6 s.
// And a link that is only slow (a few ms each way, as between hosts): a token logged out on
// another gateway is refused by the slow one from the 204 on, not once the announcement
// has travelled (a fault audit saw 8 of 157 served 0–10 ms after the 204).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { natsUrl, orAfter, sleep, startApp, type Proc } from './support/harness.ts';
import { adminToken, call, signup, startStack, type Stack } from './support/gateway.ts';

let s: Stack;
let cutOff: Proc & { url?: string };
let proxy: { server: Server; port: number; blackholed: boolean; delayMs: number; sockets: Set<Socket> };

/**
 * A TCP proxy to NATS that can drop everything it carries, both ways, without closing
 * anything, or hold what NATS sends the gateway for `delayMs` (in order).
 */
async function natsProxy(): Promise<typeof proxy> {
  const target = new URL(natsUrl);
  const state = { blackholed: false, delayMs: 0, sockets: new Set<Socket>() } as typeof proxy;
  state.server = createServer((client) => {
    const upstream = tcpConnect(Number(target.port || 4222), target.hostname);
    for (const sock of [client, upstream]) {
      state.sockets.add(sock);
      sock.on('error', () => undefined);
      sock.on('close', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (d) => void (state.blackholed || upstream.write(d)));
    upstream.on('data', (d) => {
      if (state.blackholed) return;
      // Timers of one delay fire in the order they were set: the bytes stay in order.
      if (state.delayMs > 0) setTimeout(() => client.write(d), state.delayMs);
      else client.write(d);
    });
  });
  await new Promise<void>((resolve) => state.server.listen(0, '127.0.0.1', resolve));
  state.port = (state.server.address() as { port: number }).port;
  return state;
}

test.before(async () => {
  s = await startStack('sesspart');
  proxy = await natsProxy();
  cutOff = await startApp(s.env.env, 'gateway', { PORT: '0', ADMIN_TOKEN: adminToken, NATS_URL: `nats://127.0.0.1:${proxy.port}` });
});

test.after(async () => {
  await cutOff?.kill('SIGKILL');
  for (const sock of proxy?.sockets ?? []) sock.destroy();
  proxy?.server.close();
  await s?.stop();
});

test('a token logged out elsewhere is never served by a gateway whose link to NATS went silent', async () => {
  const u = await signup(s.url, 'Partitioned');
  // The cut-off gateway has the session cached: its token checks are answered locally. The
  // user page needs no NATS (MariaDB and Redis), so only the token check could refuse it.
  for (let i = 0; i < 3; i++) assert.is((await call(cutOff.url!, 'GET', '/v1/me', { token: u.token })).status, 200);

  proxy.blackholed = true;
  await sleep(150);
  const out = await call(s.url, 'POST', '/v1/auth/logout', { token: u.token });
  assert.is(out.status, 204);
  const statuses: number[] = [];
  const until = Date.now() + 1500;
  while (Date.now() < until) {
    const r = await orAfter(call(cutOff.url!, 'GET', '/v1/me', { token: u.token }).then((x) => x.status), 8000, 0);
    statuses.push(r);
  }
  assert.ok(statuses.length > 0);
  assert.equal(statuses.filter((x) => x === 200), [], `served after the logout: ${JSON.stringify(statuses)}`);
  assert.ok(statuses.every((x) => x === 401 || x === 503), JSON.stringify(statuses));

  // The link heals: the gateway trusts its feed again and the token stays refused.
  proxy.blackholed = false;
  const healed = Date.now();
  let last = 0;
  while (Date.now() - healed < 15_000) {
    last = (await call(cutOff.url!, 'GET', '/v1/me', { token: u.token })).status;
    if (last === 401) break;
    await sleep(200);
  }
  assert.is(last, 401);
});

test('a token logged out on another gateway is refused from the 204 on by a gateway whose link is slow', async () => {
  proxy.delayMs = 5;
  try {
    const served: string[] = [];
    for (let i = 0; i < 15; i++) {
      const u = await signup(s.url, 'Slow link');
      // Cached on the slow gateway, by the chain's route and by the cart's fast lane.
      for (const path of ['/v1/me', '/v1/cart']) assert.is((await call(cutOff.url!, 'GET', path, { token: u.token })).status, 200);
      assert.is((await call(s.url, 'POST', '/v1/auth/logout', { token: u.token })).status, 204);
      const [me, cart] = await Promise.all(['/v1/me', '/v1/cart'].map((path) => call(cutOff.url!, 'GET', path, { token: u.token })));
      if (me!.status !== 401) served.push(`me ${me!.status}`);
      if (cart!.status !== 401) served.push(`cart ${cart!.status}`);
    }
    assert.equal(served, [], 'answered other than 401 right after the logout');
  } finally {
    proxy.delayMs = 0;
  }
});

test.run();
