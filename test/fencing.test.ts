// Fencing tokens against the real MariaDB: a stale owner of an entity, with writes
// already in flight when another owner took over, gets nothing committed, whatever
// version its batches expect; counters are rebuilt from the reservation rows on load;
// carts, sessions and orders are fenced the same way; a SKU activated before it had
// stock claims only when it first writes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { InventoryMsg } from '../actors/inventory/index.ts';
import { createPool, type Pool } from '../stores/mysql/index.ts';
import { InventoryRepository, type InventoryBatch } from '../stores/mysql/inventory.ts';
import { CartRepository } from '../stores/mysql/carts.ts';
import { SessionRepository } from '../stores/mysql/sessions.ts';
import { OrderRepository } from '../stores/mysql/orders.ts';
import { FencedWriteError } from '../stores/mysql/writes.ts';
import { eventually, freshEnv, type TestEnv } from './support/harness.ts';
import { activateInventory, type InventoryOwner } from './support/inventory-owner.ts';
import { newOrder } from './support/orders.ts';

let env: TestEnv;
let pool: Pool;

test.before(async () => {
  env = await freshEnv('fencing');
  pool = createPool(env.mysqlUrl);
});

test.after(async () => {
  await pool.end();
  await env.cleanup();
});

async function one<T>(sql: string, params: unknown[] = []): Promise<T> {
  const [rows] = await pool.query(sql, params);
  return (rows as T[])[0]!;
}

/** A repository whose commits wait at a gate: the owner is paused with its batches decided and sent. */
class PausedRepository extends InventoryRepository {
  sent: InventoryBatch[] = [];
  private open!: () => void;
  private readonly gate = new Promise<void>((resolve) => { this.open = resolve; });
  override async commit(batch: InventoryBatch): Promise<void> {
    this.sent.push(batch);
    await this.gate;
    return super.commit(batch);
  }
  resume(): void {
    this.open();
  }
}

const activate = (sku: string, repo: InventoryRepository): Promise<InventoryOwner> =>
  activateInventory(sku, { repo, eventSubject: (e) => `ev.inventory.${e.kind}.${e.sku}`, commitDepth: 2 });

const reserve = (id: string, qty = 1): InventoryMsg => ({ op: 'reserve', reservationId: id, qty, ttlMs: 600_000 });

test('a paused owner with two batches in flight commits nothing after another owner took the SKU', async () => {
  const repo = new InventoryRepository(pool, 600_000);
  const seed = await activate('PIPE1', repo);
  await seed.ask({ op: 'setStock', warehouses: [{ warehouseId: 'w1', onHand: 100 }], commandId: 'seed' });
  await seed.entity.settled();

  // The stale owner decides two batches (two transactions in flight: version V and V+1)
  // and a third that gathers behind them, then pauses before they reach the database.
  const paused = new PausedRepository(pool, 600_000);
  const stale = await activate('PIPE1', paused);
  const staleAnswers = [stale.ask(reserve('stale-1', 10))];
  await eventually(() => paused.sent.length >= 1 || undefined);
  staleAnswers.push(stale.ask(reserve('stale-2', 20)));
  await eventually(() => paused.sent.length >= 2 || undefined);
  staleAnswers.push(stale.ask({ op: 'setStock', warehouses: [{ warehouseId: 'w1', onHand: 500 }], commandId: 'stale-set' }));
  assert.equal(paused.sent.map((b) => b.expectedVersion), [paused.sent[0]!.expectedVersion, paused.sent[0]!.expectedVersion + 1]);

  // Meanwhile the new owner takes the SKU and commits one batch: the version the stale
  // owner's second batch expects is now the stored one.
  const fresh = await activate('PIPE1', repo);
  assert.is(fresh.entity.fence?.epoch, stale.entity.fence!.epoch + 1);
  const mine = await fresh.ask(reserve('fresh-1', 3));
  assert.is((mine as { status: string }).status, 'reserved');
  await fresh.entity.settled();
  const stored = await one<{ version: number }>('SELECT version FROM inventory WHERE sku = ?', ['PIPE1']);
  assert.is(Number(stored.version), paused.sent[1]!.expectedVersion, 'the stale second batch would match the stored version');

  paused.resume();
  const outcomes = await Promise.allSettled(staleAnswers);
  for (const o of outcomes) {
    assert.is(o.status, 'rejected', 'no stale answer is acknowledged');
    const err = (o as PromiseRejectedResult).reason as { code?: string; retryable?: boolean };
    assert.is(err.code, 'unavailable');
    assert.ok(err.retryable);
  }
  await stale.entity.settled();
  assert.ok(stale.stopped(), 'the stale actor stops, so the next message reloads');

  const [rows] = await pool.query("SELECT reservation_id FROM reservations WHERE sku = 'PIPE1' AND status = 'active' ORDER BY reservation_id");
  assert.equal((rows as { reservation_id: string }[]).map((r) => r.reservation_id), ['fresh-1'], 'only the new owner’s reservation is stored');
  const head = await one<{ on_hand: number; reserved: number }>('SELECT on_hand, reserved FROM inventory WHERE sku = ?', ['PIPE1']);
  const stock = await one<{ on_hand: number; reserved: number }>("SELECT on_hand, reserved FROM inventory_stock WHERE sku = 'PIPE1' AND warehouse_id = 'w1'");
  assert.equal([Number(head.on_hand), Number(head.reserved)], [100, 3]);
  assert.equal([Number(stock.on_hand), Number(stock.reserved)], [100, 3]);
  const cmd = await one<{ n: number }>("SELECT COUNT(*) AS n FROM inventory_commands WHERE sku = 'PIPE1' AND command_id = 'stale-set'");
  assert.is(Number(cmd.n), 0);

  // The new owner goes on as if nothing happened.
  await fresh.ask(reserve('fresh-2', 2));
  await fresh.entity.settled();
  const after = await activate('PIPE1', repo);
  const view = await after.ask({ op: 'get' }) as { onHand: number; reserved: number };
  assert.equal([view.onHand, view.reserved], [100, 5]);
});

test('counters that disagree with the reservation rows are rebuilt from the rows on activation', async () => {
  const repo = new InventoryRepository(pool, 600_000);
  const owner = await activate('DRIFT1', repo);
  await owner.ask({ op: 'setStock', warehouses: [{ warehouseId: 'w1', onHand: 50 }, { warehouseId: 'w2', onHand: 10 }], commandId: 'd1' });
  await owner.ask(reserve('d-r1', 4));
  await owner.ask({ op: 'reserve', reservationId: 'd-r2', qty: 2, ttlMs: 600_000, preferWarehouses: ['w2'] });
  await owner.entity.settled();
  // Stale totals written over the counters (what an unfenced stale batch used to leave).
  await pool.query("UPDATE inventory SET on_hand = 70, reserved = 40 WHERE sku = 'DRIFT1'");
  await pool.query("UPDATE inventory_stock SET reserved = 30 WHERE sku = 'DRIFT1' AND warehouse_id = 'w1'");
  const next = await activate('DRIFT1', repo);
  const view = await next.ask({ op: 'get' }) as { onHand: number; reserved: number; available: number; warehouses: { warehouseId: string; reserved: number }[] };
  assert.equal([view.onHand, view.reserved, view.available], [60, 6, 54]);
  assert.equal(view.warehouses.map((w) => [w.warehouseId, w.reserved]), [['w1', 4], ['w2', 2]]);
  // The repair is written with the next batch.
  await next.ask(reserve('d-r3', 1));
  await next.entity.settled();
  const head = await one<{ on_hand: number; reserved: number }>("SELECT on_hand, reserved FROM inventory WHERE sku = 'DRIFT1'");
  assert.equal([Number(head.on_hand), Number(head.reserved)], [60, 7]);
  const w1 = await one<{ reserved: number }>("SELECT reserved FROM inventory_stock WHERE sku = 'DRIFT1' AND warehouse_id = 'w1'");
  assert.is(Number(w1.reserved), 5);
});

test('a resent setStock (same command id) is not applied again over the sales made since, also after a reload', async () => {
  const repo = new InventoryRepository(pool, 600_000);
  const owner = await activate('SET1', repo);
  const set: InventoryMsg = { op: 'setStock', warehouses: [{ warehouseId: 'w1', onHand: 10 }], commandId: 'restock-42' };
  await owner.ask(set);
  await owner.ask(reserve('sale-1', 3));
  await owner.ask({ op: 'commit', reservationId: 'sale-1' });
  // The first reply was slow and the caller resent the same command.
  const again = await owner.ask(set) as { onHand: number };
  assert.is(again.onHand, 7, 'the sale is not undone by the resend');
  await owner.entity.settled();
  const reloaded = await activate('SET1', repo);
  const third = await reloaded.ask(set) as { onHand: number };
  assert.is(third.onHand, 7, 'the command id survives a reload');
  // A new command is applied.
  const fresh = await reloaded.ask({ op: 'setStock', warehouses: [{ warehouseId: 'w1', onHand: 20 }], commandId: 'restock-43' }) as { onHand: number };
  assert.is(fresh.onHand, 20);
  await reloaded.entity.settled();
  const head = await one<{ on_hand: number }>("SELECT on_hand FROM inventory WHERE sku = 'SET1'");
  assert.is(Number(head.on_hand), 20);
});

test('a SKU read before it had stock claims nothing; its first write claims and acts on the stock another owner set meanwhile', async () => {
  const repo = new InventoryRepository(pool, 600_000);
  const epochOf = async () => (await one<{ epoch: number } | undefined>("SELECT epoch FROM entity_epochs WHERE entity_type = 'inventory' AND entity_id = 'LATE1'"))?.epoch;
  const early = await activate('LATE1', repo);
  assert.is(early.entity.fence, undefined);
  assert.is(((await early.ask({ op: 'get' })) as { available: number }).available, 0);
  assert.is(await epochOf(), undefined, 'a read of a SKU without stock writes nothing');

  // Another activation (the SKU's owner after a hand-off) sets its stock.
  const owner = await activate('LATE1', repo);
  await owner.ask({ op: 'setStock', warehouses: [{ warehouseId: 'w1', onHand: 10 }] });
  assert.is(owner.entity.fence?.epoch, 1);

  // The early activation's first write claims again and loads the stock first: it
  // reserves from the 10 units set, instead of refusing from the empty SKU it had read.
  const r = await early.ask(reserve('late-1', 4));
  assert.is((r as { status: string }).status, 'reserved');
  assert.is(early.entity.fence?.epoch, 2);
  const stored = await one<{ on_hand: number; reserved: number }>('SELECT on_hand, reserved FROM inventory WHERE sku = ?', ['LATE1']);
  assert.equal([Number(stored.on_hand), Number(stored.reserved)], [10, 4]);
  // And the other owner, its epoch taken, commits nothing more.
  const stale = await owner.ask(reserve('late-2', 1)).then(() => 'committed', (err: unknown) => String(err));
  assert.match(stale, /changed underneath/);
});

test('carts, sessions and orders: a write under an epoch that was taken fails fenced and changes nothing', async () => {
  const carts = new CartRepository(pool);
  const a = await carts.claim('u-fence');
  await carts.write({ userId: 'u-fence', fence: a, expectedVersion: 0, upsert: [{ sku: 'S1', qty: 1, price: 100, currency: 'USD', addedAt: 1, title: 'x' }], remove: [] });
  const b = await carts.claim('u-fence');
  const err = await carts.write({ userId: 'u-fence', fence: a, expectedVersion: 1, upsert: [{ sku: 'S1', qty: 9, price: 100, currency: 'USD', addedAt: 1, title: 'x' }], remove: [] })
    .then(() => undefined, (e: unknown) => e);
  assert.instance(err, FencedWriteError);
  assert.is((await carts.load('u-fence')).lines[0]!.qty, 1);
  await carts.write({ userId: 'u-fence', fence: b, expectedVersion: 1, upsert: [{ sku: 'S1', qty: 2, price: 100, currency: 'USD', addedAt: 1, title: 'x' }], remove: [] });
  assert.is((await carts.load('u-fence')).lines[0]!.qty, 2);

  const sessions = new SessionRepository(pool);
  const s1 = await sessions.claim('sess-fence');
  const record = { sessionId: 'sess-fence', tokenHash: 'h', userId: 'u-fence', device: 'd', createdAt: 1, expiresAt: 2, lastSeenAt: 1, revokedAt: null };
  await sessions.claim('sess-fence');
  assert.instance(await sessions.insert(s1, record).then(() => undefined, (e: unknown) => e), FencedWriteError);
  assert.is(await sessions.load('sess-fence'), undefined);

  const orders = new OrderRepository(pool);
  const o1 = orders.fencedBy(await orders.claim('o-fence'));
  const order = newOrder({ orderId: 'o-fence', userId: 'u-fence' });
  await o1.create(order, 'created');
  const o2 = orders.fencedBy(await orders.claim('o-fence'));
  const fenced = await o1.transition(order, { status: 'cancelled' }, 2).then(() => undefined, (e: unknown) => e);
  assert.instance(fenced, FencedWriteError);
  assert.is((await orders.get('o-fence'))!.status, 'pending_payment');
  await o2.transition(order, { status: 'cancelled' }, 3);
  assert.is((await orders.get('o-fence'))!.status, 'cancelled');
});

test('an order claimed by the write that creates it: one creator wins, a later claim fences it, a claimed id cannot be created so', async () => {
  const orders = new OrderRepository(pool);
  const order = (orderId: string) => newOrder({ orderId, userId: 'u-first' });
  const epochOf = async (id: string) => (await one<{ epoch: number } | undefined>("SELECT epoch FROM entity_epochs WHERE entity_type = 'checkout' AND entity_id = ?", [id]))?.epoch;

  // Two activations race to create one minted id: exactly one commits, with epoch 1.
  const first = orders.claimingOnCreate('o-first');
  const second = orders.claimingOnCreate('o-first');
  assert.not.ok(first.holdsFence);
  const outcomes = await Promise.allSettled([first.create(order('o-first'), 'created'), second.create(order('o-first'), 'created')]);
  const won = outcomes.filter((o) => o.status === 'fulfilled').length;
  const lost = outcomes.filter((o) => o.status === 'rejected' && o.reason instanceof FencedWriteError).length;
  assert.equal([won, lost], [1, 1], JSON.stringify(outcomes.map((o) => o.status === 'rejected' ? String(o.reason) : 'ok')));
  const winner = outcomes[0]!.status === 'fulfilled' ? first : second;
  assert.ok(winner.holdsFence);
  assert.is(await epochOf('o-first'), 1);
  assert.is(Number((await one<{ n: number }>("SELECT COUNT(*) AS n FROM order_events WHERE order_id = 'o-first'")).n), 1);

  // The winner's later writes are fenced by epoch 1: they commit until another activation claims.
  const paying = await winner.transition(order('o-first'), { status: 'charging' }, 2);
  const taken = orders.fencedBy(await orders.claim('o-first'));
  const fenced = await winner.transition(paying, { status: 'paid' }, 3).then(() => undefined, (e: unknown) => e);
  assert.instance(fenced, FencedWriteError);
  assert.is((await orders.get('o-first'))!.status, 'charging');
  await taken.transition(paying, { status: 'paid' }, 4);
  assert.is((await orders.get('o-first'))!.status, 'paid');

  // An id some activation claimed (and recorded nothing under) is not created by a first-write claim.
  await orders.claim('o-claimed');
  const late = orders.claimingOnCreate('o-claimed');
  assert.instance(await late.create(order('o-claimed'), 'created').then(() => undefined, (e: unknown) => e), FencedWriteError);
  assert.not.ok(late.holdsFence);
  assert.is(await orders.get('o-claimed'), undefined);
  assert.is(await epochOf('o-claimed'), 1);
});

test.run();
