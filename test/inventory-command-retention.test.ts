// Applied setStock command ids are kept for the dedup window (a resent command is
// recognised, not applied over the sales since) and deleted after it, so a warehouse feed
// updating stock all day does not grow the table for ever. Against the real MariaDB.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InventoryRepository } from '../stores/mysql/inventory.ts';
import { freshDatabase } from './support/harness.ts';
import { activateInventory } from './support/inventory-owner.ts';

const db = freshDatabase(test, 'invcmdret');
const dedupWindowMs = 24 * 3600_000;

async function command(sku: string, id: string, hoursAgo: number): Promise<void> {
  await db.pool.query('INSERT INTO inventory_commands (sku, command_id, applied_at) VALUES (?, ?, NOW(3) - INTERVAL ? MINUTE)', [sku, id, Math.round(hoursAgo * 60)]);
}

async function commandIds(): Promise<string[]> {
  const [rows] = await db.pool.query('SELECT command_id FROM inventory_commands ORDER BY command_id');
  return (rows as { command_id: string }[]).map((r) => r.command_id);
}

test('commands past the window (and its hour of margin) go, a bounded number of chunks a call; recent ones stay', async () => {
  await command('S1', 'old-a', 26);
  await command('S1', 'old-b', 30);
  await command('S2', 'old-c', 48);
  await command('S1', 'inside-the-margin', 24.5);
  await command('S1', 'recent', 1);
  const repo = new InventoryRepository(db.pool, dedupWindowMs);
  assert.is(await repo.purgeExpiredCommands({ chunk: 2, maxChunks: 1 }), 2, 'one chunk of two');
  assert.is(await repo.purgeExpiredCommands({ chunk: 2, maxChunks: 1 }), 1, 'the rest on the next call');
  assert.is(await repo.purgeExpiredCommands(), 0);
  assert.equal(await commandIds(), ['inside-the-margin', 'recent']);
});

test('a command resent within the window is still recognised by a new activation after a purge', async () => {
  const repo = new InventoryRepository(db.pool, dedupWindowMs);
  const deps = { repo, eventSubject: (e: { kind: string; sku: string }) => `ev.inventory.${e.kind}.${e.sku}` };
  const first = await activateInventory('S3', deps);
  await first.ask({ op: 'setStock', warehouses: [{ warehouseId: 'wh-1', onHand: 10 }], commandId: 'feed-1' });
  await first.entity.settled();
  await command('S3', 'feed-0', 40);
  assert.is(await repo.purgeExpiredCommands(), 1, 'only the old one');

  // A new activation (a failover) reads the commands back from the store.
  const second = await activateInventory('S3', deps);
  const view = await second.ask({ op: 'setStock', warehouses: [{ warehouseId: 'wh-1', onHand: 99 }], commandId: 'feed-1' }) as { onHand: number };
  assert.is(view.onHand, 10, 'feed-1 recognised: not applied again');
});

test.run();
