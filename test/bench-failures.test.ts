// The HTTP sale's record of its failed attempts, against the real MariaDB: after a failure,
// what the bench prints must tell an order that was never written from one that belongs to
// someone else and from one written and then lost track of, or the next rare failure is as
// unexplained as the last.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OrderRepository } from '../stores/mysql/orders.ts';
import { FailureLog, apiError, describeFindings, examineOrders, type Failure } from '../bench/flash-sale/failures.ts';
import { freshDatabase } from './support/harness.ts';
import { newOrder } from './support/orders.ts';

const db = freshDatabase(test, 'bench_failures');

function failure(fields: Partial<Failure>): Failure {
  return {
    step: 'pay', status: 404, code: 'not_found', message: 'no order', requestId: 'r1', userId: 'u-buyer', orderId: null,
    startedAtMs: 10, checkoutMs: 5, payMs: 3, ...fields,
  };
}

test('failures are counted by kind, most frequent first, and the first ones kept in full', () => {
  const log = new FailureLog();
  log.record(failure({ step: 'checkout', status: 503, code: 'unavailable', payMs: null }));
  for (let i = 0; i < 25; i++) log.record(failure({ orderId: `o${i}` }));
  assert.is(log.count, 26);
  assert.is(log.summary(), 'pay 404 not_found ×25, checkout 503 unavailable ×1');
  assert.is(log.samples.length, 20);
  assert.is(log.samples[0]!.step, 'checkout');
});

test("an API error body gives its code, message and request id; anything else is named as such", () => {
  assert.equal(apiError({ error: { code: 'not_found', message: 'no order o1', requestId: 'abc' } }), { code: 'not_found', message: 'no order o1', requestId: 'abc' });
  const odd = apiError({ raw: '<html>' });
  assert.is(odd.code, 'no_error_body');
  assert.ok(odd.message.includes('<html>'));
  assert.is(odd.requestId, null);
});

test("MariaDB's view of each failed order: the buyer's own, another user's, or none", async () => {
  const orders = new OrderRepository(db.pool);
  await db.pool.query('INSERT INTO users (user_id, email, name, password_hash, password_salt, password_params) VALUES ?',
    [['u-buyer', 'u-other'].map((id) => [id, `${id}@example.test`, id, 'h', 's', '{}'])]);
  await orders.create(newOrder({ orderId: 'ofailmine1', userId: 'u-buyer', createdAt: 1000, updatedAt: 1000 }), 'reserved 1 line(s)');
  await orders.create(newOrder({ orderId: 'ofailother1', userId: 'u-other', createdAt: 1000, updatedAt: 1000 }), 'reserved 1 line(s)');
  await db.pool.query("INSERT INTO entity_epochs (entity_type, entity_id, epoch) VALUES ('checkout', 'ofailmine1', 2)");
  await db.pool.query("INSERT INTO reservations (sku, reservation_id, warehouse_id, qty, owner, status, expires_at) VALUES ('SKU-1', 'ofailmine1:SKU-1', 'wh', 1, 'ofailmine1', 'active', 0)");

  const found = await examineOrders(db.pool, [
    failure({ orderId: 'ofailmine1' }),
    failure({ orderId: 'ofailother1' }),
    failure({ orderId: 'ofailnever1' }),
    failure({ step: 'checkout', orderId: null }),
  ]);
  assert.is(found.length, 3, 'a failure without an order has nothing to look up');
  const [mine, other, never] = found;
  assert.equal(mine!.row && { userId: mine!.row.userId, status: mine!.row.status, version: mine!.row.version }, { userId: 'u-buyer', status: 'pending_payment', version: 1 });
  assert.is(mine!.ownerMatches, true);
  assert.is(mine!.epoch, 2);
  assert.equal(mine!.reservations, [{ reservationId: 'ofailmine1:SKU-1', status: 'active', qty: 1 }]);
  assert.is(describeFindings(mine!), 'ofailmine1: row pending_payment v1, owner the buyer; 1:pending_payment; epoch 2; active×1');
  assert.is(other!.ownerMatches, false);
  assert.ok(describeFindings(other!).includes('owner another user (u-other)'));
  assert.is(never!.row, null);
  assert.is(describeFindings(never!), 'ofailnever1: no order row; no timeline; epoch none; no reservations');
});

test.run();
