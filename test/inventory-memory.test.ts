// A finished reservation leaves the inventory entity's memory after the keep window, and
// only its id stays (a Bloom filter) until the dedup window ends: a resent `reserve` still
// gets its first answer and takes no more units, from memory, after a reload, and for ids
// the filter never saw the reservation is taken as usual. Against the real MariaDB.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { InventoryMsg, InventoryReply } from '../actors/inventory/index.ts';
import { FinishedIds } from '../actors/inventory/finished-ids.ts';
import { createPool } from '../stores/mysql/index.ts';
import { InventoryRepository } from '../stores/mysql/inventory.ts';
import { freshDatabase } from './support/harness.ts';
import { activateInventory, type InventoryOwner } from './support/inventory-owner.ts';

const db = freshDatabase(test, 'invmemory');

const keepFinishedMs = 60_000;
const dedupWindowMs = 600_000;

function activate(sku: string, clock: { now: number }): Promise<InventoryOwner> {
  const repo = new InventoryRepository(db.pool, dedupWindowMs, keepFinishedMs);
  return activateInventory(sku, { repo, eventSubject: (e) => `ev.inventory.${e.kind}.${e.sku}`, now: () => clock.now });
}

const reserve = (id: string): InventoryMsg => ({ op: 'reserve', reservationId: id, qty: 1, ttlMs: 3_600_000 });
const statusOf = (a: InventoryReply) => (a as { status: string }).status;
const availableOf = async (o: InventoryOwner) => (await o.ask({ op: 'get' }) as { available: number }).available;

test('finished ids: every id added is found, ids never added almost never, and they go when the window ends', () => {
  // Ids finish at 0 … 99,999 ms, a generation gathering for at most 25 s: seven generations.
  const ids = new FinishedIds(25_000);
  const id = (i: number, k = 0) => `ord_${i}:SKU-${i % 7}:${k}`;
  for (let i = 0; i < 100_000; i++) ids.add(id(i), i);
  assert.is(ids.size, 100_000);
  for (let i = 0; i < 100_000; i++) if (!ids.mightHold(id(i))) assert.unreachable(`lost ${id(i)}`);
  let falsePositives = 0;
  for (let i = 0; i < 200_000; i++) if (ids.mightHold(id(i, 1))) falsePositives++;
  // A few in a million per lookup across the generations (the ids are fixed, so is the count).
  assert.ok(falsePositives <= 5, `${falsePositives} false positives in 200,000`);
  // Against about 300 bytes for a finished reservation held whole.
  assert.ok(ids.bytes / ids.size < 16, `${(ids.bytes / ids.size).toFixed(1)} bytes an id`);
  ids.dropFinishedBefore(50_000);
  assert.ok(ids.size < 100_000, 'generations wholly before the cutoff are dropped');
  for (let i = 50_000; i < 100_000; i++) if (!ids.mightHold(id(i))) assert.unreachable(`${id(i)}, after the cutoff, was dropped`);
  ids.dropFinishedBefore(100_000);
  assert.is(ids.size, 0);
  assert.not.ok(ids.mightHold(id(99_999)));
});

test('a reserve resent after its reservation left memory gets its first answer and takes no more units', async () => {
  const clock = { now: Date.now() };
  const owner = await activate('MEM1', clock);
  await owner.ask({ op: 'setStock', warehouses: [{ warehouseId: 'w1', onHand: 10 }], commandId: 'seed-mem1' });
  for (const id of ['r1', 'r2', 'r3', 'r4', 'r5']) assert.is(statusOf(await owner.ask(reserve(id))), 'reserved');
  for (const id of ['r1', 'r2', 'r3']) await owner.ask({ op: 'commit', reservationId: id });
  await owner.ask({ op: 'release', reservationId: 'r4' });
  assert.is(await availableOf(owner), 6);

  // Past the keep window (and the minute between sweeps): the four finished ones leave memory.
  clock.now += keepFinishedMs + 61_000;
  assert.is(await availableOf(owner), 6);
  assert.equal([...owner.entity.model.reservations.keys()], ['r5'], 'only the active reservation is held whole');
  assert.is(owner.entity.model.forgotten.size, 4);

  assert.equal(await owner.ask(reserve('r1')), { reservationId: 'r1', status: 'committed' });
  assert.equal(await owner.ask(reserve('r4')), { reservationId: 'r4', status: 'released' });
  assert.is(await availableOf(owner), 6, 'no units taken by the resent reservations');
  assert.is(statusOf(await owner.ask(reserve('r6'))), 'reserved', 'a new id is taken as usual');
  assert.is(await availableOf(owner), 5);
  await owner.entity.settled();
  const [rows] = await db.pool.query("SELECT reservation_id, status FROM reservations WHERE sku = 'MEM1' ORDER BY reservation_id");
  assert.equal(rows, [
    { reservation_id: 'r1', status: 'committed' }, { reservation_id: 'r2', status: 'committed' }, { reservation_id: 'r3', status: 'committed' },
    { reservation_id: 'r4', status: 'released' }, { reservation_id: 'r5', status: 'active' }, { reservation_id: 'r6', status: 'active' },
  ], 'the stored rows are untouched by the resent reservations');
});

test('a reloaded entity holds finished reservations older than the keep window as ids, and still recognises them', async () => {
  const clock = { now: Date.now() };
  const first = await activate('MEM2', clock);
  await first.ask({ op: 'setStock', warehouses: [{ warehouseId: 'w1', onHand: 10 }], commandId: 'seed-mem2' });
  for (const id of ['a', 'b', 'c']) await first.ask(reserve(id));
  await first.ask({ op: 'commit', reservationId: 'a' });
  await first.ask({ op: 'release', reservationId: 'b' });
  await first.entity.settled();
  // As if they finished five minutes ago: past the keep window, within the dedup window.
  await db.pool.query("UPDATE reservations SET updated_at = NOW(3) - INTERVAL 5 MINUTE WHERE sku = 'MEM2' AND status <> 'active'");

  const second = await activate('MEM2', clock);
  assert.equal([...second.entity.model.reservations.keys()], ['c'], 'loaded whole: the active one only');
  assert.is(second.entity.model.forgotten.size, 2);
  assert.is(await availableOf(second), 8);
  assert.equal(await second.ask(reserve('a')), { reservationId: 'a', status: 'committed' });
  assert.equal(await second.ask(reserve('b')), { reservationId: 'b', status: 'released' });
  assert.equal(await second.ask({ op: 'commit', reservationId: 'a' }), { reservationId: 'a', status: 'committed' });
  assert.is(await availableOf(second), 8, 'nothing reserved again');
  assert.is(statusOf(await second.ask(reserve('d'))), 'reserved');
  assert.is(await availableOf(second), 7);
});

test('loading a SKU reads its recent reservations, not its whole history', async () => {
  // 50,000 reservations finished three days ago (past the dedup window), and a few recent ones.
  await db.pool.query(`SET STATEMENT max_recursive_iterations = 100000 FOR
    INSERT INTO reservations (sku, reservation_id, warehouse_id, qty, owner, status, expires_at, created_at, updated_at)
    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 49999)
    SELECT 'MEM3', CONCAT('old-', i), 'w1', 1, NULL, 'committed', 0, NOW(3) - INTERVAL 3 DAY, NOW(3) - INTERVAL 3 DAY FROM n`);
  await db.pool.query(`INSERT INTO reservations (sku, reservation_id, warehouse_id, qty, owner, status, expires_at, updated_at) VALUES
    ('MEM3', 'held', 'w1', 1, NULL, 'active', ${Date.now() + 3_600_000}, NOW(3)),
    ('MEM3', 'sold-now', 'w1', 1, NULL, 'committed', 0, NOW(3)),
    ('MEM3', 'sold-earlier', 'w1', 1, NULL, 'committed', 0, NOW(3) - INTERVAL 5 MINUTE)`);
  // One connection, so the session's handler counters are the load's own.
  const one = createPool(db.env.mysqlUrl, { connectionLimit: 1 });
  try {
    const rowsRead = async () => {
      const [rows] = await one.query("SHOW SESSION STATUS LIKE 'Handler_read%'");
      return (rows as { Value: string }[]).reduce((sum, r) => sum + Number(r.Value), 0);
    };
    const before = await rowsRead();
    const loaded = await new InventoryRepository(one, dedupWindowMs, keepFinishedMs).load('MEM3');
    const read = (await rowsRead()) - before;
    assert.equal(loaded.reservations.map((r) => r.id).sort(), ['held', 'sold-now']);
    assert.equal(loaded.finished.map((f) => f.id), ['sold-earlier']);
    assert.ok(read < 1_000, `the load read ${read} index entries or rows for 3 reservations of 50,003`);
  } finally {
    await one.end();
  }
});

test.run();
