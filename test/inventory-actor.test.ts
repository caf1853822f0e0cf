// The inventory entity on a real node, NATS and MariaDB: no overselling under 2,000
// concurrent buyers, idempotent reservations, fencing against a stale actor, events.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InventoryApi } from '../actors/inventory/index.ts';
import { RejectedError, UnavailableError, type ClusterNode } from '../cluster/index.ts';
import { loadConfig } from '../app/config.ts';
import { openContext, type AppContext } from '../app/context.ts';
import { startNode } from '../app/node-role.ts';
import { inventoryStream } from '../stores/events/index.ts';
import { eventually, freshEnv, testLog, type TestEnv } from './support/harness.ts';

let env: TestEnv;
let ctx: AppContext;
let node: ClusterNode;
let inventory: InventoryApi;

async function row<T>(sql: string, params: unknown[]): Promise<T> {
  const [rows] = await ctx.pool.query(sql, params);
  return (rows as T[])[0]!;
}

test.before(async () => {
  env = await freshEnv('inventory');
  ctx = await openContext(loadConfig(env.env), testLog);
  node = await startNode(ctx);
  inventory = new InventoryApi(ctx.client);
});

test.after(async () => {
  await node.stop();
  await ctx.close();
  await env.cleanup();
});

test('2,000 concurrent reservations against stock 500: exactly 500 succeed, all of them in MariaDB', async () => {
  await inventory.setStock('FLASH1', [{ warehouseId: 'w1', onHand: 300 }, { warehouseId: 'w2', onHand: 200 }]);
  const outcomes = await Promise.all(Array.from({ length: 2000 }, (_, i) =>
    inventory.reserve('FLASH1', { reservationId: `buyer-${i}`, qty: 1, ttlMs: 600_000 }).then(
      (r) => ({ ok: r.reservationId }),
      (err: unknown) => ({ err }),
    )));
  const ok = outcomes.flatMap((o) => ('ok' in o ? [o.ok] : []));
  const refused = outcomes.flatMap((o) => ('err' in o ? [o.err] : []));
  assert.is(ok.length, 500);
  assert.is(refused.length, 1500);
  for (const err of refused) {
    assert.instance(err, RejectedError);
    assert.is((err as RejectedError).code, 'insufficient_stock');
  }
  const stored = await row<{ n: number }>("SELECT COUNT(*) AS n FROM reservations WHERE sku = ? AND status = 'active'", ['FLASH1']);
  assert.is(Number(stored.n), 500);
  const inv = await row<{ on_hand: number; reserved: number }>('SELECT on_hand, reserved FROM inventory WHERE sku = ?', ['FLASH1']);
  assert.is(inv.on_hand - inv.reserved, 0, 'available = 0 in MariaDB');
  const stock = await row<{ r: number; h: number }>('SELECT SUM(reserved) AS r, SUM(on_hand) AS h FROM inventory_stock WHERE sku = ?', ['FLASH1']);
  assert.is(Number(stock.r), 500);
  assert.is(Number(stock.h), 500);
  const [ids] = await ctx.pool.query("SELECT reservation_id FROM reservations WHERE sku = ? AND status = 'active'", ['FLASH1']);
  assert.equal(new Set((ids as { reservation_id: string }[]).map((r) => r.reservation_id)), new Set(ok), 'every acknowledged reservation is stored');
  const view = await inventory.get('FLASH1');
  assert.is(view.available, 0);
  assert.is(view.status, 'out_of_stock');
});

test('the same reservation id sent 10 times concurrently reserves once and answers alike', async () => {
  await inventory.setStock('IDEM1', [{ warehouseId: 'w1', onHand: 5 }]);
  const answers = await Promise.all(Array.from({ length: 10 }, () => inventory.reserve('IDEM1', { reservationId: 'same', qty: 2, ttlMs: 600_000 })));
  for (const a of answers) assert.equal(a, answers[0]);
  const view = await inventory.get('IDEM1');
  assert.is(view.reserved, 2);
  const stored = await row<{ n: number }>('SELECT COUNT(*) AS n FROM reservations WHERE sku = ?', ['IDEM1']);
  assert.is(Number(stored.n), 1);
  // Commit and release are idempotent too.
  assert.equal(await inventory.commit('IDEM1', 'same'), { reservationId: 'same', status: 'committed' });
  assert.equal(await inventory.commit('IDEM1', 'same'), { reservationId: 'same', status: 'committed' });
  assert.is((await inventory.get('IDEM1')).onHand, 3);
});

test('a stale actor cannot write: its batch fails retryable and the retry succeeds on fresh state', async () => {
  await inventory.setStock('FENCE1', [{ warehouseId: 'w1', onHand: 10 }]);
  await inventory.reserve('FENCE1', { reservationId: 'before', qty: 1, ttlMs: 600_000 });
  // Another writer moves the row on (as a paused owner waking up would find it).
  await ctx.pool.query('UPDATE inventory SET version = version + 1, on_hand = on_hand + 5 WHERE sku = ?', ['FENCE1']);
  await ctx.pool.query("UPDATE inventory_stock SET on_hand = on_hand + 5 WHERE sku = ? AND warehouse_id = 'w1'", ['FENCE1']);
  const err = await inventory.reserve('FENCE1', { reservationId: 'during', qty: 1, ttlMs: 600_000 }, { retry: false }).then(() => undefined, (e: unknown) => e);
  assert.instance(err, UnavailableError);
  assert.ok((err as UnavailableError).retryable);
  assert.match((err as Error).message, /changed underneath/);
  const stale = await row<{ n: number }>("SELECT COUNT(*) AS n FROM reservations WHERE sku = ? AND reservation_id = 'during'", ['FENCE1']);
  assert.is(Number(stale.n), 0, 'the stale write did not land');
  const retried = await inventory.reserve('FENCE1', { reservationId: 'during', qty: 1, ttlMs: 600_000 });
  assert.is(retried.status, 'reserved');
  const view = await inventory.get('FENCE1');
  assert.is(view.onHand, 15, 'the fresh actor sees the other writer’s change');
  assert.is(view.reserved, 2, 'and keeps the reservation made before');
});

test('out-of-stock and back-in-stock are published to the INVENTORY stream through the outbox', async () => {
  await inventory.setStock('EVT1', [{ warehouseId: 'w1', onHand: 1 }]);
  await inventory.reserve('EVT1', { reservationId: 'e1', qty: 1, ttlMs: 600_000 });
  await inventory.release('EVT1', 'e1');
  const stream = inventoryStream(env.cluster);
  const jsm = await ctx.nc.jetstreamManager();
  const kinds = await eventually(async () => {
    const found: string[] = [];
    for (const kind of ['out_of_stock', 'back_in_stock']) {
      const info = await jsm.streams.info(stream.name, { subjects_filter: stream.subject(kind, 'EVT1') } as never);
      const subjects = (info.state as { subjects?: Record<string, number> }).subjects ?? {};
      if ((subjects[stream.subject(kind, 'EVT1')] ?? 0) > 0) found.push(kind);
    }
    return found.length === 2 ? found : undefined;
  }, 5000);
  assert.equal(kinds, ['out_of_stock', 'back_in_stock']);
});

test('a SKU loaded straight into MariaDB (a row at version 0) takes reservations', async () => {
  await ctx.pool.query("INSERT INTO inventory (sku, version, on_hand, reserved) VALUES ('LOADED1', 0, 3, 0)");
  await ctx.pool.query("INSERT INTO inventory_stock (sku, warehouse_id, on_hand, reserved) VALUES ('LOADED1', 'w1', 3, 0)");
  const r = await inventory.reserve('LOADED1', { reservationId: 'first', qty: 2, ttlMs: 600_000 }, { retry: false });
  assert.is(r.status, 'reserved');
  const loaded = await row<{ version: number; reserved: number }>("SELECT version, reserved FROM inventory WHERE sku = 'LOADED1'", []);
  assert.equal([Number(loaded.version), Number(loaded.reserved)], [1, 2]);
});

test('bad messages are refused with a typed invalid error naming the field', async () => {
  for (const [msg, field] of [
    [{ op: 'reserve', reservationId: 'x', qty: 0, ttlMs: 1000 }, /qty/],
    [{ op: 'reserve', reservationId: 'x', qty: 1, ttlMs: 'soon' }, /ttlMs/],
    [{ op: 'reserve', reservationId: 'has space', qty: 1, ttlMs: 1000 }, /reservationId/],
    [{ op: 'setStock', warehouses: [{ warehouseId: 'w', onHand: -1 }] }, /onHand/],
    [{ op: 'fly' }, /op must be/],
  ] as const) {
    const err = await ctx.client.ask('inventory', 'BAD1', msg).then(() => undefined, (e: unknown) => e);
    assert.is((err as { code?: string }).code, 'invalid');
    assert.match((err as Error).message, field);
  }
});

test.run();
