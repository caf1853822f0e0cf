// A checkout whose first attempt was slow is resent by the gateway's cluster client (an
// idempotent ask is sent again after each 2 s attempt). When that first attempt ends in a
// refusal that gives back what it reserved, the resend must answer the same refusal: a
// fault audit's keyed checkouts, slowed by a paused node, answered 409 `order_closed`
// ("this order was already given up; check out again") instead of `too_many_open_orders`,
// because the resend found its own reservation released by the refusal.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { adminToken, call, signupBuyer as signup, startStack, type Stack } from './support/gateway.ts';
import { eventually } from './support/harness.ts';
import { createPool } from '../stores/mysql/index.ts';

let s: Stack;

test.before(async () => {
  s = await startStack('checkoutresend', { nodeEnv: { MAX_OPEN_ORDERS: '1' }, gatewayEnv: { RATE_LIMIT_AUTH_PER_MIN: '100000' } });
});

test.after(async () => {
  await s.stop();
});

test('a slow checkout resent after a refusal that released its stock answers the refusal, not order_closed', async () => {
  const sku = 'SKU-00013';
  const put = await call(s.url, 'PUT', `/v1/admin/inventory/${sku}`, { token: adminToken, body: { warehouses: [{ warehouseId: 'wh-east', onHand: 10 }] } });
  assert.is(put.status, 200, JSON.stringify(put.body));
  const u = await signup(s.url);
  const first = await call(s.url, 'POST', '/v1/checkout', { token: u.token, body: { items: [{ sku, qty: 1 }] } });
  assert.is(first.status, 201, JSON.stringify(first.body));

  // Hold the SKU's rows, so the second checkout's reservation waits for MariaDB past the
  // gateway's 2 s attempt and the start is resent behind it.
  const pool = createPool(s.env.mysqlUrl, { connectionLimit: 2 });
  const conn = await pool.getConnection();
  try {
    await conn.query('BEGIN');
    await conn.query('SELECT * FROM inventory WHERE sku = ? FOR UPDATE', [sku]);
    await conn.query('SELECT * FROM inventory_stock WHERE sku = ? FOR UPDATE', [sku]);
    const second = call(s.url, 'POST', '/v1/checkout', { token: u.token, body: { items: [{ sku, qty: 1 }] }, headers: { 'idempotency-key': 'slow-second' } });
    await eventually(async () => {
      // The reservation's write waiting for the rows (only this suite's database: the server is shared).
      const [rows] = await pool.query("SELECT COUNT(*) AS n FROM information_schema.processlist WHERE db = DATABASE() AND command = 'Query' AND info LIKE 'UPDATE inventory %'");
      return Number((rows as { n: number }[])[0]!.n) > 0;
    }, 10_000, 50);
    // The reservation waits from here; the gateway resends the start 2 s after it sent it.
    await new Promise((r) => setTimeout(r, 3000));
    await conn.query('COMMIT');
    const r = await second;
    assert.is(r.status, 409, JSON.stringify(r.body));
    assert.is(r.body.error.code, 'too_many_open_orders', JSON.stringify(r.body));
  } finally {
    conn.release();
    await pool.end();
  }
  // Only the first order holds stock.
  await eventually(async () => (await call(s.url, 'GET', `/v1/inventory/${sku}`)).body.reserved === 1, 5000, 100);
});

test.run();
