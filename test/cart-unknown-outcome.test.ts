// A cart write whose COMMIT reached MariaDB but whose acknowledgement was lost: the caller
// must hear "outcome unknown" (timeout), which nobody resends blindly, never `unavailable`
// (not applied), which the cluster client resends — adding the item a second time.
// The repository writes to the real MariaDB and then loses the answer, as a dropped
// connection after COMMIT does.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CartApi, cartEntity, refusedAsUnknown } from '../actors/cart/index.ts';
import { ClusterNode, TimeoutError } from '../cluster/index.ts';
import { loadConfig } from '../app/config.ts';
import { openContext, type AppContext } from '../app/context.ts';
import { nodeSettings } from '../app/node-options.ts';
import { CartRepository, type CartWrite } from '../stores/mysql/carts.ts';
import { classifyStoreError } from '../stores/mysql/errors.ts';
import { ProductRepository } from '../stores/mysql/products.ts';
import { demoProducts } from '../app/demo.ts';
import { freshEnv, testLog, type TestEnv } from './support/harness.ts';

class AckLosingCarts extends CartRepository {
  lose = false;
  override async write(w: CartWrite): Promise<void> {
    await super.write(w);
    // What the pool makes of a connection lost after the COMMIT was sent.
    if (this.lose) throw classifyStoreError(Object.assign(new Error('Connection lost: The server closed the connection.'), { code: 'PROTOCOL_CONNECTION_LOST' }), { sent: true, writes: true });
  }
}

let env: TestEnv;
let ctx: AppContext;
let node: ClusterNode;
let repo: AckLosingCarts;

test.before(async () => {
  env = await freshEnv('cartunknown');
  ctx = await openContext(loadConfig(env.env), testLog);
  await new ProductRepository(ctx.pool).upsertMany(demoProducts(5));
  repo = new AckLosingCarts(ctx.pool);
  node = await ClusterNode.start({
    nc: ctx.nc, ...nodeSettings(ctx.config), log: testLog,
    entities: [cartEntity({ repo, products: new ProductRepository(ctx.pool) })],
  });
});

test.after(async () => {
  await node?.stop();
  await ctx?.close();
  await env?.cleanup();
});

test('a cart add whose acknowledgement is lost is a timeout, and is applied exactly once', async () => {
  const carts = new CartApi(ctx.client);
  await carts.add('u-lost-ack', 'SKU-00001', 1);
  repo.lose = true;
  let failure: unknown;
  try {
    await carts.add('u-lost-ack', 'SKU-00002', 1, { deadlineMs: 3000 });
  } catch (err) {
    failure = err;
  }
  repo.lose = false;
  assert.instance(failure, TimeoutError);
  assert.is((failure as TimeoutError).code, 'timeout');
  const [rows] = await ctx.pool.query('SELECT qty FROM cart_lines WHERE user_id = ? AND sku = ?', ['u-lost-ack', 'SKU-00002']);
  assert.equal((rows as { qty: number }[]).map((r) => Number(r.qty)), [1], 'written once, not once per resend');
  const view = await carts.get('u-lost-ack');
  assert.is(view.items.find((i) => i.sku === 'SKU-00002')?.qty, 1);
});

test('a paid order\'s units leave the cart once: sent again after its answer was lost, it takes nothing more', async () => {
  const carts = new CartApi(ctx.client);
  const user = 'u-bought-again';
  await carts.add(user, 'SKU-00003', 3);
  const qtyOf = async () => {
    const [rows] = await ctx.pool.query('SELECT qty FROM cart_lines WHERE user_id = ? AND sku = ?', [user, 'SKU-00003']);
    return (rows as { qty: number }[]).map((r) => Number(r.qty));
  };
  // The removal commits and its answer is lost, as in a shard move or a NATS pause.
  repo.lose = true;
  let failure: unknown;
  try {
    await carts.boughtOnce(user, 'o-paid-1', [{ sku: 'SKU-00003', qty: 1 }], { deadlineMs: 3000 });
  } catch (err) {
    failure = err;
  }
  repo.lose = false;
  assert.instance(failure, TimeoutError);
  assert.equal(await qtyOf(), [2], 'the first send was applied');
  // The order sends it again: applied already, so nothing more is taken.
  await carts.boughtOnce(user, 'o-paid-1', [{ sku: 'SKU-00003', qty: 1 }]);
  assert.equal(await qtyOf(), [2], 'not taken twice');
  // Another order's units are taken as usual, and an order with nothing left to take is recorded too.
  await carts.boughtOnce(user, 'o-paid-2', [{ sku: 'SKU-00003', qty: 1 }]);
  assert.equal(await qtyOf(), [1]);
  await carts.boughtOnce(user, 'o-paid-3', [{ sku: 'SKU-00004', qty: 1 }]);
  await carts.add(user, 'SKU-00004', 1);
  await carts.boughtOnce(user, 'o-paid-3', [{ sku: 'SKU-00004', qty: 1 }]);
  assert.is((await carts.get(user)).items.find((i) => i.sku === 'SKU-00004')?.qty, 1, 'a unit added after the order stays');
  // What a cart of the earlier release answers an op it does not know is recognised (the
  // order then sends it the plain removal once), and that plain removal still applies.
  const unknownOp = await ctx.client.ask('cart', user, { op: 'somethingNewer' }).then(() => undefined, (e: unknown) => e);
  assert.ok(refusedAsUnknown(unknownOp), String(unknownOp));
  await carts.bought(user, [{ sku: 'SKU-00004', qty: 1 }]);
  assert.is((await carts.get(user)).items.find((i) => i.sku === 'SKU-00004'), undefined);
  // Remembered for a day, then forgotten by the retention job.
  assert.is(await repo.purgeBoughtOrders(Date.now()), 0);
  assert.ok(await repo.boughtApplied(user, 'o-paid-1'));
  assert.is(await repo.purgeBoughtOrders(Date.now() + 86_400_000 + 60_000), 3);
  assert.not.ok(await repo.boughtApplied(user, 'o-paid-1'));
});

test.run();
