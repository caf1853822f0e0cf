// An order's entity leaves memory after CHECKOUT_IDLE_TIMEOUT_MS without a message (a flash
// sale makes one per checkout attempt), while other entities keep the longer IDLE_TIMEOUT_MS;
// the order's next step wakes it from MariaDB as before.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { statsSubject } from '../cluster/admin.ts';
import { eventually, natsConnection } from './support/harness.ts';
import { adminToken, call, signup, startStack, type Stack } from './support/gateway.ts';

let s: Stack;
test.before(async () => {
  s = await startStack('chkidle', { nodeEnv: { CHECKOUT_IDLE_TIMEOUT_MS: '700' } });
});
test.after(async () => {
  await s?.stop();
});

/** Live actors of `type` on the stack's one node, as it answers the cluster's stats request. */
async function live(type: string): Promise<number> {
  const nc = await natsConnection();
  try {
    const answer = await nc.request(statsSubject(s.env.cluster), '', { timeout: 2000 });
    const stats = JSON.parse(new TextDecoder().decode(answer.data)) as { actorsByType: Record<string, number> };
    return stats.actorsByType[type] ?? 0;
  } finally {
    await nc.close();
  }
}

test("an order's entity is passivated after its own idle timeout and woken by the payment", async () => {
  const put = await call(s.url, 'PUT', '/v1/admin/inventory/SKU-00003', { token: adminToken, body: { warehouses: [{ warehouseId: 'wh-east', onHand: 5 }] } });
  assert.ok(put.status < 300, JSON.stringify(put.body));
  const u = await signup(s.url, 'Idle Buyer');
  await call(s.url, 'POST', '/v1/me/addresses', { token: u.token, body: { line1: '1 Main St', city: 'Boston', region: 'MA', country: 'US', postalCode: '02101', isDefault: true } });
  const order = await call(s.url, 'POST', '/v1/checkout', { token: u.token, body: { items: [{ sku: 'SKU-00003', qty: 1 }] } });
  assert.is(order.status, 201, JSON.stringify(order.body));
  assert.ok((await live('checkout')) >= 1, 'the order is in memory after its checkout');

  await eventually(async () => (await live('checkout')) === 0, 8000, 100);
  assert.ok((await live('inventory')) >= 1, 'the SKU, with the default idle timeout, is still in memory');

  const paid = await call(s.url, 'POST', `/v1/orders/${order.body.orderId}/pay`, { token: u.token, body: { paymentMethod: { type: 'card', token: 'tok_ok' } } });
  assert.is(paid.status, 200, JSON.stringify(paid.body));
  assert.is(paid.body.status, 'paid');
  const got = await call(s.url, 'GET', `/v1/orders/${order.body.orderId}`, { token: u.token });
  assert.is(got.body.status, 'paid');
});

test.run();
