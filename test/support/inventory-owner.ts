// An inventory entity activated and driven directly, without a node: what the fencing and
// memory tests need to hold two activations of one SKU at once or to set its clock.
import type { EntityContext, Reply } from '../../cluster/index.ts';
import { inventoryEntity, type InventoryDeps, type InventoryEntity, type InventoryMsg, type InventoryReply } from '../../actors/inventory/index.ts';
import { testLog } from './harness.ts';

export interface InventoryOwner {
  entity: InventoryEntity;
  /** Whether the entity stopped itself (after a failed commit, to reload). */
  stopped(): boolean;
  ask(msg: InventoryMsg): Promise<InventoryReply>;
}

export async function activateInventory(sku: string, deps: InventoryDeps): Promise<InventoryOwner> {
  const def = inventoryEntity(deps);
  let stopped = false;
  const ctx: EntityContext = { type: 'inventory', id: sku, log: testLog, stop: () => { stopped = true; } };
  const entity = await def.activate(sku, ctx);
  return {
    entity,
    stopped: () => stopped,
    ask: (msg) => new Promise((resolve, reject) => {
      let settled = false;
      const reply: Reply<InventoryReply> = {
        ok: (v) => { settled = true; resolve(v); },
        fail: (e) => { settled = true; reject(e); },
        get settled() { return settled; },
      };
      // A message naming a reservation no longer in memory waits for one read (`recall`).
      const next = def.receive(entity, msg, reply, ctx);
      if (next instanceof Promise) void next.catch(reject);
    }),
  };
}
