// What the HTTP flash sale puts on sale: exactly --stock units, in wh-east and nowhere else.
// A PUT sets only the warehouses it names; the demo catalog stocks most SKUs in several, and
// the units left in the others were sold too, so a clean sale against a running demo system
// (--url) was reported as oversold with a MISMATCH and exit 1.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setStock } from '../bench/flash-sale/via-http.ts';
import { LeanClient } from '../bench/support/http-client.ts';
import { adminToken, call, startStack, type Stack } from './support/gateway.ts';

let stack: Stack;
let client: LeanClient;

test.before(async () => {
  stack = await startStack('benchstock');
  client = new LeanClient(stack.url, 2);
});
test.after(async () => {
  await client?.close();
  await stack?.stop();
});

test('stock in other warehouses is set to none; wh-east holds the units on sale', async () => {
  const put = await call(stack.url, 'PUT', '/v1/admin/inventory/SKU-00003', {
    headers: { authorization: `Bearer ${adminToken}` },
    body: { warehouses: [{ warehouseId: 'wh-east', onHand: 5 }, { warehouseId: 'wh-west', onHand: 40 }, { warehouseId: 'wh-central', onHand: 7 }] },
  });
  assert.is(put.status, 200, JSON.stringify(put.body));
  await setStock(client, adminToken, 'SKU-00003', 100);
  const after = await call(stack.url, 'GET', '/v1/inventory/SKU-00003');
  assert.is(after.body.onHand, 100);
  const held = (after.body.warehouses as { warehouseId: string; onHand: number }[]).filter((w) => w.onHand > 0);
  assert.equal(held.map((w) => [w.warehouseId, w.onHand]), [['wh-east', 100]]);
});

test('a SKU with no stock yet gets it in wh-east', async () => {
  await setStock(client, adminToken, 'SKU-00004', 30);
  const after = await call(stack.url, 'GET', '/v1/inventory/SKU-00004');
  assert.equal((after.body.warehouses as { warehouseId: string; onHand: number }[]).map((w) => [w.warehouseId, w.onHand]), [['wh-east', 30]]);
});

test.run();
