// A cart (and the session behind the token) survives kill -9 of the node holding it:
// acknowledged writes were in MariaDB, and the survivor reloads them when it takes over.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { shardOf } from '../cluster/index.ts';
import { eventually, startApp } from './support/harness.ts';
import { adminToken, call, signup, startStack, type Stack } from './support/gateway.ts';

let s: Stack;
test.before(async () => {
  s = await startStack('gwfailover', { nodes: 2 });
});
test.after(async () => {
  await s?.stop();
});

async function ownerOf(userId: string): Promise<string> {
  return eventually(async () => {
    const view = await call(s.url, 'GET', '/v1/admin/cluster', { token: adminToken });
    return view.body.shardOwners[String(shardOf(userId, 16))] as string | undefined;
  });
}

test('kill -9 of the node holding a cart: the cart and the session are intact on the survivor', async () => {
  await eventually(async () => new Set(Object.values((await call(s.url, 'GET', '/v1/admin/cluster', { token: adminToken })).body.shardOwners)).size === 2);
  const u = await signup(s.url, 'Failover');
  for (const [sku, qty] of [['SKU-00010', 3], ['SKU-00020', 1], ['SKU-00030', 99]] as const) {
    assert.is((await call(s.url, 'POST', '/v1/cart/items', { token: u.token, body: { sku, qty } })).status, 200);
  }
  const before = (await call(s.url, 'GET', '/v1/cart', { token: u.token })).body;
  assert.is(before.items.length, 3);

  const owner = await ownerOf(u.userId);
  const victim = s.nodes.find((_n, i) => `n${i + 1}` === owner)!;
  assert.ok(victim, `owner ${owner}`);
  await victim.kill('SIGKILL');

  const after = await eventually(async () => {
    const r = await call(s.url, 'GET', '/v1/cart', { token: u.token });
    return r.status === 200 ? r.body : undefined;
  }, 15_000, 200);
  assert.equal(after, before);
  assert.is.not(await ownerOf(u.userId), owner, 'another node took the shard');

  // The survivor writes on from the stored version (the dead node cannot, and its state is gone).
  const added = await call(s.url, 'POST', '/v1/cart/items', { token: u.token, body: { sku: 'SKU-00010', qty: 1 } });
  assert.is(added.status, 200);
  assert.is(added.body.items[0].qty, 4);
});

test('every node restarted: sessions and carts come back from MariaDB', async () => {
  const u = await signup(s.url, 'Restart');
  await call(s.url, 'POST', '/v1/cart/items', { token: u.token, body: { sku: 'SKU-00015', qty: 2 } });
  for (const n of s.nodes) await n.kill('SIGKILL');
  s.nodes.splice(0, s.nodes.length, await startApp(s.env.env, 'node', { NODE_ID: 'n3' }));
  const cart = await eventually(async () => {
    const r = await call(s.url, 'GET', '/v1/cart', { token: u.token });
    return r.status === 200 ? r.body : undefined;
  }, 15_000, 200);
  assert.equal(cart.items.map((i: { sku: string; qty: number }) => [i.sku, i.qty]), [['SKU-00015', 2]]);
  assert.is((await call(s.url, 'GET', '/v1/me', { token: u.token })).status, 200, 'the token still works');
});

test.run();
