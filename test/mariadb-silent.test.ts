// A MariaDB that goes silent (SIGSTOP of a PRIVATE mariadbd: connections stay open and
// nothing answers, as when a network drops packets) cannot hang anything: a read fails
// `unavailable`, a write `outcome_unknown`, an inventory group commit fails its answers
// typed (a write's `timeout`, a read waiting for it `unavailable`) and its deactivation
// returns; once the server answers again the pool has replaced the connections it gave up
// on by itself.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { createPool, dropDatabase, migrate } from '../stores/mysql/index.ts';
import { InventoryRepository } from '../stores/mysql/inventory.ts';
import { StoreOutcomeUnknownError, StoreUnavailableError } from '../stores/mysql/errors.ts';
import { inventoryEntity } from '../actors/inventory/index.ts';
import { testLog } from './support/harness.ts';
import { startPrivateMariadb, type PrivateMariadb } from './support/private-mariadb.ts';

const port = 13322;
let db: PrivateMariadb;
const cluster = `t_dbsilent_${randomBytes(3).toString('hex')}`;

test.before(async () => {
  db = await startPrivateMariadb(port);
  await migrate(db.url(`shop_${cluster}`));
});

test.after(async () => {
  await dropDatabase(db.url(`shop_${cluster}`)).catch(() => undefined);
  await db?.destroy();
});

test('a MariaDB that stops answering (connections open, nothing comes back) cannot hang a query, a group commit or a deactivation', async () => {
  const mysqlUrl = db.url(`shop_${cluster}`);
  const bounded = createPool(mysqlUrl, { connectionLimit: 3, queryTimeoutMs: 800, acquireTimeoutMs: 1000 });
  const repo = new InventoryRepository(bounded, 600_000);
  const ctx = { type: 'inventory', id: 'HANG1', log: testLog, stop: () => undefined };
  const def = inventoryEntity({ repo, eventSubject: (e) => `ev.${e.kind}.${e.sku}` });
  // Claimed and stocked while the server answers, so what follows is a commit, not a claim.
  let stocked: unknown;
  const entity = await def.receive(await def.activate('HANG1', ctx), { op: 'setStock', warehouses: [{ warehouseId: 'w1', onHand: 3 }], commandId: 'h0' }, {
    ok: () => (stocked = 'ok'), fail: (e) => (stocked = e), settled: false,
  }, ctx);
  await entity.settled();
  assert.is(stocked, 'ok');
  // Pooled connections, open when the server goes quiet.
  await Promise.all([1, 2, 3].map(() => bounded.query('SELECT SLEEP(0.2)')));
  await db.pause();
  try {
    const started = Date.now();
    const read = await bounded.query('SELECT 1').then(() => undefined, (e: unknown) => e);
    assert.instance(read, StoreUnavailableError, String(read));
    const write = await bounded.query("UPDATE inventory SET version = version WHERE sku = 'none'").then(() => undefined, (e: unknown) => e);
    assert.instance(write, StoreOutcomeUnknownError, String(write));
    assert.is((write as StoreOutcomeUnknownError).code, 'outcome_unknown');
    // A new connection to the silent server never completes its handshake: nothing was sent.
    const fresh = createPool(mysqlUrl, { connectionLimit: 1, acquireTimeoutMs: 500 });
    const refused = await fresh.query('UPDATE inventory SET version = version WHERE sku = ?', ['none']).then(() => undefined, (e: unknown) => e);
    assert.instance(refused, StoreUnavailableError, String(refused));
    void fresh.end().catch(() => undefined);
    // A group commit on the silent server: the answer fails typed, and deactivation returns.
    const answer = new Promise<unknown>((resolve) => {
      def.receive(entity, { op: 'setStock', warehouses: [{ warehouseId: 'w1', onHand: 5 }], commandId: 'h1' }, {
        ok: () => resolve(undefined), fail: (e) => resolve(e), settled: false,
      }, ctx);
    });
    // A read that waits for that write: not confirmed, so safe to ask again; it has no
    // outcome of its own to be unknown.
    const readAnswer = new Promise<unknown>((resolve) => {
      def.receive(entity, { op: 'get' }, { ok: () => resolve(undefined), fail: (e) => resolve(e), settled: false }, ctx);
    });
    const failed = await answer as { code?: string };
    // A commit without an answer: it may have been applied.
    assert.is(failed?.code, 'timeout', `typed failure, got ${JSON.stringify(failed)}`);
    const readFailed = await readAnswer as { code?: string; message?: string };
    assert.is(readFailed?.code, 'unavailable', `the read: ${JSON.stringify(readFailed)}`);
    await def.deactivate!(entity, ctx);
    assert.ok(Date.now() - started < 10_000, `bounded: ${Date.now() - started} ms`);
  } finally {
    db.resume();
  }
  // The pool replaced the connections it gave up on, by itself.
  const [rows] = await bounded.query('SELECT 1 AS one');
  assert.is((rows as { one: number }[])[0]!.one, 1);
  await bounded.end();
});

test.run();
