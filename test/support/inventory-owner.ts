// An inventory entity activated and driven directly, without a node: what the fencing and
// memory tests need to hold two activations of one SKU at once or to set its clock.
import type { EntityContext, Reply } from '../../cluster/index.ts';
import { inventoryEntity, type InventoryDeps, type InventoryEntity, type InventoryMsg, type InventoryReply } from '../../actors/inventory/index.ts';
import { testLog } from './harness.ts';

export interface InventoryOwner {
  /** The entity as the last message left it. */
  readonly entity: InventoryEntity;
  /** Whether the entity stopped itself (after a failed commit, to reload). */
  stopped(): boolean;
  ask(msg: InventoryMsg): Promise<InventoryReply>;
}

export async function activateInventory(sku: string, deps: InventoryDeps): Promise<InventoryOwner> {
  const def = inventoryEntity(deps);
  let stopped = false;
  const ctx: EntityContext = { type: 'inventory', id: sku, log: testLog, stop: () => { stopped = true; } };
  // The state the last message left (a SKU without stock is activated again, with a claim,
  // by its first message that may write), and a mailbox like the node's: a message waits
  // while one before it waits for a read.
  let entity = await def.activate(sku, ctx);
  const mailbox: (() => Promise<void> | undefined)[] = [];
  let draining = false;
  const drain = (): void => {
    draining = true;
    while (mailbox.length > 0) {
      const waiting = mailbox.shift()!();
      if (waiting) return void waiting.finally(drain);
    }
    draining = false;
  };
  return {
    get entity() { return entity; },
    stopped: () => stopped,
    ask: (msg) => new Promise((resolve, reject) => {
      let settled = false;
      const reply: Reply<InventoryReply> = {
        ok: (v) => { settled = true; resolve(v); },
        fail: (e) => { settled = true; reject(e); },
        get settled() { return settled; },
      };
      mailbox.push(() => {
        const next = def.receive(entity, msg, reply, ctx);
        if (!(next instanceof Promise)) return void (entity = next);
        return next.then((e) => { entity = e; }, reject);
      });
      if (!draining) drain();
    }),
  };
}
