// Redis that hangs (SIGSTOP of a PRIVATE redis-server: connections stay open, nothing comes
// back) and a gateway killed in the middle of a keyed request:
// - nothing waits for a hung Redis longer than REDIS_COMMAND_TIMEOUT_MS: a keyed POST is a
//   503 that says nothing was applied, reads cached in Redis come from MariaDB, /readyz says
//   not ready; once Redis answers again the same key does the work at once;
// - a gateway killed while it holds a key's claim frees the key within the claim's lease
//   (10 s), not a minute: a retry through another gateway gets its answer, charged once.
// run-tests: alone (it asserts reads past a hung Redis answer within 250 ms)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startApp, sleep, type Proc } from './support/harness.ts';
import { adminToken, call, signupBuyer, startStack, type Stack } from './support/gateway.ts';
import { startRedis, type PrivateServer } from './support/private-servers.ts';

const port = 16391;
let redis: PrivateServer;
let s: Stack;

test.before(async () => {
  redis = await startRedis(port);
  const env = { REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT_MS: '500' };
  // A slow card processor, so a pay is still running when its gateway is killed.
  s = await startStack('redishang', { gatewayEnv: env, nodeEnv: { ...env, PAYMENT_LATENCY_MS: '3000', PAYMENT_TIMEOUT_MS: '8000' } });
});

test.after(async () => {
  redis?.resume();
  await s?.stop();
  await redis?.destroy();
});

/** The call's answer and how long it took; status 0 when it hung for 6 s. */
async function timed(p: Promise<{ status: number; body: { error?: { code?: string } } }>): Promise<[number, string | undefined, number]> {
  const started = Date.now();
  const hung = new Promise<{ status: number; body: { error?: { code?: string } } }>((resolve) => setTimeout(() => resolve({ status: 0, body: {} }), 6000).unref());
  const r = await Promise.race([p, hung]);
  return [r.status, r.body?.error?.code, Date.now() - started];
}

test('a hung Redis: keyed POSTs are 503 not applied, cached reads come from MariaDB, /readyz 503; nothing hangs', async () => {
  const u = await signupBuyer(s.url);
  const add = () => call(s.url, 'POST', '/v1/cart/items', { token: u.token, headers: { 'Idempotency-Key': `hang-${u.userId}` }, body: { sku: 'SKU-00005', qty: 2 } });
  assert.is((await call(s.url, 'GET', '/v1/me', { token: u.token })).status, 200);
  redis.pause();
  try {
    const [status, code, ms] = await timed(add());
    assert.ok(status !== 0, 'a keyed POST hung with Redis');
    assert.equal([status, code], [503, 'unavailable'], 'the key could not be claimed: nothing was applied');
    assert.ok(ms < 4000, `answered in ${ms} ms`);
    const me = await timed(call(s.url, 'GET', '/v1/me', { token: u.token }));
    assert.is(me[0], 200, 'the user page from MariaDB');
    assert.ok(me[2] < 4000, `answered in ${me[2]} ms`);
    // A cached read just found Redis not answering: the next ones go to MariaDB at once
    // (one of them may be the probe the pause lets through after a second, on a slow machine).
    const waits: number[] = [];
    for (let i = 0; i < 3; i++) {
      const meAgain = await timed(call(s.url, 'GET', '/v1/me', { token: u.token }));
      assert.is(meAgain[0], 200);
      waits.push(meAgain[2]);
    }
    assert.ok(waits.filter((ms) => ms >= 250).length <= 1, `the reads after it waited ${waits.join(', ')} ms on the hung Redis`);
    const ready = await timed(call(s.url, 'GET', '/readyz'));
    assert.is(ready[0], 503);
    assert.ok(ready[2] < 4000, `answered in ${ready[2]} ms`);
    assert.equal((await call(s.url, 'GET', '/v1/cart', { token: u.token })).body.items, [], 'nothing was added');
  } finally {
    redis.resume();
  }
  // Redis answers again: the same key does the work, once, at once (the claim that timed
  // out ran when Redis resumed, and the delete queued behind it took it back).
  const resumedAt = Date.now();
  let again = await add();
  for (let i = 0; again.status === 503 && i < 20; i++) {
    await sleep(250);
    again = await add();
  }
  assert.is(again.status, 200, JSON.stringify(again.body));
  assert.ok(Date.now() - resumedAt < 4000, `the key was free ${Date.now() - resumedAt} ms after Redis resumed`);
  assert.equal((await add()).headers.get('idempotent-replayed'), 'true');
  assert.equal((await call(s.url, 'GET', '/v1/cart', { token: u.token })).body.items.map((i: { qty: number }) => i.qty), [2]);
});

test('a gateway killed mid-request frees its Idempotency-Key within the claim lease; the retry elsewhere is charged once', async () => {
  const stock = await call(s.url, 'PUT', '/v1/admin/inventory/SKU-00007', { token: adminToken, body: { warehouses: [{ warehouseId: 'wh-east', onHand: 5 }] } });
  assert.is(stock.status, 200, JSON.stringify(stock.body));
  const u = await signupBuyer(s.url);
  const order = await call(s.url, 'POST', '/v1/checkout', { token: u.token, body: { items: [{ sku: 'SKU-00007', qty: 1 }] } });
  assert.is(order.status, 201, JSON.stringify(order.body));
  const id = order.body.orderId as string;
  const doomed: Proc & { url?: string } = await startApp(s.env.env, 'gateway', { PORT: '0', ADMIN_TOKEN: adminToken, REDIS_URL: redis.url });
  const pay = (url: string) => call(url, 'POST', `/v1/orders/${id}/pay`, {
    token: u.token, headers: { 'Idempotency-Key': `pay-${id}` }, body: { paymentMethod: { type: 'card', token: 'tok_ok' } },
  });
  void pay(doomed.url!).catch(() => undefined);
  await sleep(500);
  await doomed.kill('SIGKILL');
  const killedAt = Date.now();
  let r = await pay(s.url);
  while (r.status === 409 && r.body.error.code === 'request_in_progress' && Date.now() - killedAt < 30_000) {
    await sleep(500);
    r = await pay(s.url);
  }
  const freedMs = Date.now() - killedAt;
  assert.equal([r.status, r.body.status], [200, 'paid'], JSON.stringify(r.body));
  assert.ok(freedMs < 15_000, `the key was held ${freedMs} ms after its gateway died`);
  const [charges] = await s.sql<{ n: number }>("SELECT COUNT(*) AS n FROM sim_charges WHERE order_id = ? AND outcome = 'approved'", [id]);
  assert.is(Number(charges!.n), 1, 'charged once');
});

test.run();
