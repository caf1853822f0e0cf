// A refund across a process death: the node running it is killed right after the money
// went back and before the units and points did; another node finishes it from the stored
// `refunding` state. Money, units, points, coupon and the event each move exactly once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { adminToken, call, signupBuyer, startStack, type Stack } from './support/gateway.ts';
import { eventually, startApp, type Proc } from './support/harness.ts';

let s: Stack;
const nodes = new Map<string, Proc>();
const nodeEnv = { PAYMENT_LATENCY_MS: '5' };

test.before(async () => {
  // The only node dies right after the provider took a refund (checkout and pay are unaffected).
  s = await startStack('refundfail', { nodeEnv: { ...nodeEnv, CHECKOUT_FAILPOINT: 'after_refund' }, gatewayEnv: { RATE_LIMIT_AUTH_PER_MIN: '100000' } });
  nodes.set('dies', s.nodes[0]!);
});
test.after(async () => {
  await Promise.all([...nodes.values()].map((n) => n.kill('SIGKILL')));
  await s.stop();
});

test('kill -9 mid-refund: another node finishes it, and everything is given back exactly once', async () => {
  const r = await call(s.url, 'PUT', '/v1/admin/inventory/SKU-00045', { token: adminToken, body: { warehouses: [{ warehouseId: 'wh-east', onHand: 10 }] } });
  assert.is(r.status, 200);
  const u = await signupBuyer(s.url);
  const o = await call(s.url, 'POST', '/v1/checkout', { token: u.token, body: { items: [{ sku: 'SKU-00045', qty: 4 }], couponCode: 'WELCOME10', usePoints: 30 } });
  assert.is(o.status, 201, JSON.stringify(o.body));
  const id = o.body.orderId as string;
  assert.is((await call(s.url, 'POST', `/v1/orders/${id}/pay`, { token: u.token, body: { paymentMethod: { type: 'card', token: 'tok_ok' } } })).status, 200);

  const refunding = call(s.url, 'POST', `/v1/orders/${id}/refund`, { token: u.token });
  await nodes.get('dies')!.exited;
  nodes.delete('dies');
  const [mid] = await s.sql<{ status: string }>('SELECT status FROM orders WHERE order_id = ?', [id]);
  assert.is(mid!.status, 'refunding', 'killed half-way: money back, units and points not yet');
  nodes.set('n2', await startApp(s.env.env, 'node', { NODE_ID: 'n2', ...nodeEnv }));
  const first = await refunding;
  assert.ok(first.status === 200 || first.status === 503, `refund answered ${first.status} ${JSON.stringify(first.body)}`);
  // The client retries as well, while the sweeper resumes it: still once.
  const retry = await eventually(async () => {
    const a = await call(s.url, 'POST', `/v1/orders/${id}/refund`, { token: u.token });
    return a.status === 200 ? a : undefined;
  }, 30_000, 250);
  assert.is(retry.body.status, 'refunded');
  const st = (await call(s.url, 'GET', '/v1/inventory/SKU-00045')).body;
  assert.equal([st.onHand, st.reserved, st.available], [10, 0, 10], 'units back on sale once');
  const me = (await call(s.url, 'GET', '/v1/me', { token: u.token })).body;
  assert.is(me.rewardPoints, 100, 'points used given back and points earned taken back, once');
  assert.ok(me.coupons.some((c: { code: string }) => c.code === 'WELCOME10'));
  const [charge] = await s.sql<{ refunded_at: number | null; n: number }>('SELECT refunded_at, (SELECT COUNT(*) FROM sim_charges WHERE order_id = ?) AS n FROM sim_charges WHERE order_id = ?', [id, id]);
  assert.ok(charge!.refunded_at);
  assert.is(Number(charge!.n), 1);
  const outbox = await s.sql<{ n: number }>("SELECT COUNT(*) AS n FROM outbox WHERE JSON_VALUE(payload, '$.type') = 'OrderRefunded' AND JSON_VALUE(payload, '$.orderId') = ?", [id]);
  assert.is(Number(outbox[0]!.n), 1, 'one OrderRefunded event');
  const timeline = (await call(s.url, 'GET', `/v1/orders/${id}`, { token: u.token })).body.steps.map((t: { state: string }) => t.state);
  assert.equal(timeline.slice(-2), ['refunding', 'refunded']);
});

test.run();
