// The inventory decisions alone: no I/O, many cases.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RejectedError } from '../cluster/index.ts';
import { decide, newModel, takeWrites, type InventoryModel } from '../actors/inventory/index.ts';
import type { InventoryMsg } from '../actors/inventory/index.ts';

function model(stock: Record<string, number>): InventoryModel {
  const m = newModel('SKU1');
  for (const [w, n] of Object.entries(stock)) decide(m, { op: 'restock', warehouseId: w, qty: n }, 0);
  takeWrites(m, 0);
  return m;
}

function ok(m: InventoryModel, msg: InventoryMsg, now = 1000) {
  const d = decide(m, msg, now);
  if (!('ok' in d)) throw new Error(`expected ok, got ${d.rejected.code}`);
  return d.ok as unknown as Record<string, unknown>;
}

function rejected(m: InventoryModel, msg: InventoryMsg, now = 1000): RejectedError {
  const d = decide(m, msg, now);
  if (!('rejected' in d)) throw new Error('expected a rejection');
  return d.rejected;
}

const reserve = (id: string, qty = 1, extra: Partial<InventoryMsg> = {}): InventoryMsg => ({ op: 'reserve', reservationId: id, qty, ttlMs: 60_000, ...extra } as InventoryMsg);

test('reserve takes units from one warehouse, all or nothing', () => {
  const m = model({ a: 3, b: 2 });
  assert.is(ok(m, reserve('r1', 3)).warehouseId, 'a');
  const err = rejected(m, reserve('r2', 3));
  assert.is(err.code, 'insufficient_stock');
  assert.equal(err.data, { sku: 'SKU1', requested: 3, available: 2 });
  assert.is(m.reserved, 3);
});

test('preferred warehouses are tried in order, then the fullest', () => {
  const m = model({ a: 5, b: 5, c: 9 });
  assert.is(ok(m, reserve('r1', 1, { preferWarehouses: ['b', 'a'] } as Partial<InventoryMsg>)).warehouseId, 'b');
  assert.is(ok(m, reserve('r2', 5, { preferWarehouses: ['b', 'a'] } as Partial<InventoryMsg>)).warehouseId, 'a');
  assert.is(ok(m, reserve('r3', 1)).warehouseId, 'c');
});

test('the same reservation id gives the first answer again and reserves once', () => {
  const m = model({ a: 5 });
  const first = ok(m, reserve('r1', 2));
  const again = ok(m, reserve('r1', 2));
  assert.equal(again, first);
  assert.is(m.reserved, 2);
});

test('never oversells: available stays at or above zero over many reservations', () => {
  const m = model({ a: 50, b: 50 });
  let taken = 0;
  for (let i = 0; i < 1000; i++) {
    const d = decide(m, reserve(`r${i}`, 1 + (i % 3)), 1000);
    if ('ok' in d) taken += 1 + (i % 3);
    assert.ok(m.onHand - m.reserved >= 0);
  }
  assert.ok(taken <= 100);
  assert.ok(100 - taken < 3, 'sold out, to within one request size');
});

test('commit sells the units; commit and release are idempotent and exclusive', () => {
  const m = model({ a: 5 });
  ok(m, reserve('r1', 2));
  assert.equal(ok(m, { op: 'commit', reservationId: 'r1' }), { reservationId: 'r1', status: 'committed' });
  assert.equal(ok(m, { op: 'commit', reservationId: 'r1' }), { reservationId: 'r1', status: 'committed' });
  assert.is(m.onHand, 3);
  assert.is(m.reserved, 0);
  assert.is(rejected(m, { op: 'release', reservationId: 'r1' }).code, 'reservation_committed');
  ok(m, reserve('r2', 1));
  assert.equal(ok(m, { op: 'release', reservationId: 'r2' }), { reservationId: 'r2', status: 'released' });
  assert.equal(ok(m, { op: 'release', reservationId: 'r2' }), { reservationId: 'r2', status: 'released' });
  assert.is(rejected(m, { op: 'commit', reservationId: 'r2' }).code, 'reservation_released');
  assert.is(rejected(m, { op: 'commit', reservationId: 'nope' }).code, 'reservation_not_found');
  assert.is(m.onHand - m.reserved, 3);
});

test('restore puts a committed sale back on the shelf, once', () => {
  const m = model({ a: 5 });
  ok(m, reserve('r1', 2));
  ok(m, { op: 'commit', reservationId: 'r1' });
  assert.is(m.onHand, 3);
  assert.equal(ok(m, { op: 'restore', reservationId: 'r1' }), { reservationId: 'r1', status: 'released' });
  assert.equal(ok(m, { op: 'restore', reservationId: 'r1' }), { reservationId: 'r1', status: 'released' });
  assert.equal([m.onHand, m.reserved], [5, 0]);
  assert.is(rejected(m, { op: 'restore', reservationId: 'nope' }).code, 'reservation_not_found');
});

test('a reservation past its expiry is released before the next decision', () => {
  const m = model({ a: 1 });
  ok(m, { op: 'reserve', reservationId: 'r1', qty: 1, ttlMs: 500 }, 1000);
  assert.is(rejected(m, reserve('r2'), 1400).code, 'insufficient_stock');
  assert.is(ok(m, reserve('r2'), 1500).status, 'reserved');
  assert.is(rejected(m, { op: 'commit', reservationId: 'r1' }, 1600).code, 'reservation_expired');
  assert.equal(ok(m, { op: 'expire' }, 1600), { expired: 0 });
});

test('setStock cannot go below what is reserved', () => {
  const m = model({ a: 5 });
  ok(m, reserve('r1', 4));
  assert.is(rejected(m, { op: 'setStock', warehouses: [{ warehouseId: 'a', onHand: 3 }] }).code, 'stock_below_reserved');
  assert.is(m.onHand, 5);
  ok(m, { op: 'setStock', warehouses: [{ warehouseId: 'a', onHand: 4 }, { warehouseId: 'b', onHand: 7 }] });
  assert.is(m.onHand, 11);
});

test('write sets carry the changed rows, bump the version, and mark stock transitions', () => {
  const m = model({ a: 2 });
  const v = m.version;
  ok(m, reserve('r1'));
  const w1 = takeWrites(m, 1)!;
  assert.is(w1.expectedVersion, v);
  assert.is(m.version, v + 1);
  assert.equal(w1.reservations.map((r) => [r.id, r.status]), [['r1', 'active']]);
  assert.equal(w1.events.map((e) => e.kind), [], 'one unit of two is no level movement (still "low")');
  ok(m, reserve('r2'));
  const w2 = takeWrites(m, 2)!;
  assert.equal(w2.events.map((e) => e.kind), ['out_of_stock', 'level']);
  assert.is(takeWrites(m, 3), undefined, 'nothing changed, nothing to write');
  ok(m, { op: 'release', reservationId: 'r2' });
  assert.equal(takeWrites(m, 4)!.events.map((e) => e.kind), ['back_in_stock', 'level']);
});

test('level events follow real movements of stock, not every batch', () => {
  const m = model({ a: 1000 });
  const kinds: string[][] = [];
  for (let i = 0; i < 100; i++) {
    ok(m, reserve(`r${i}`, 5));
    kinds.push(takeWrites(m, i)!.events.map((e) => e.kind));
  }
  const levels = kinds.filter((k) => k.includes('level')).length;
  // 500 of 1,000 units in 100 batches: a level event about every 50 units, not 100 of them.
  assert.ok(levels >= 5 && levels <= 12, `${levels} level events`);
  ok(m, reserve('last', 500));
  assert.equal(takeWrites(m, 200)!.events.map((e) => e.kind), ['out_of_stock', 'level'], 'a transition always carries the level');
});

test('a warehouse that runs out, or has units again, sends a level event though the SKU\'s total hardly moved', () => {
  const m = model({ a: 500, b: 1 });
  ok(m, { op: 'reserve', reservationId: 'rb', qty: 1, ttlMs: 60_000, preferWarehouses: ['b'], onlyPreferred: true });
  assert.equal(takeWrites(m, 1)!.events.map((e) => e.kind), ['level'], 'b has nothing free: its delivery estimates change');
  ok(m, reserve('ra1'));
  assert.equal(takeWrites(m, 2)!.events.map((e) => e.kind), [], 'a unit of a, which still has units: nothing');
  ok(m, { op: 'release', reservationId: 'rb' });
  assert.equal(takeWrites(m, 3)!.events.map((e) => e.kind), ['level'], 'b has its unit again');
});

test('rejections change nothing that needs writing', () => {
  const m = model({ a: 1 });
  ok(m, reserve('r1'));
  takeWrites(m, 1);
  rejected(m, reserve('r2'));
  assert.is(takeWrites(m, 2), undefined);
});

test.run();
