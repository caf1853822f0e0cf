// Releases reservations whose time is up even when nobody touches their SKU: the store,
// not a timer in some process, says what is due, so expiry survives restarts and crashes.
import type { Logger } from 'pino';
import { periodicSingleton, type ClusterClient, type Singleton } from '../../cluster/index.ts';
import type { InventoryRepository } from '../../stores/mysql/inventory.ts';
import { inventoryType } from './messages.ts';

export interface SweeperDeps {
  repo: InventoryRepository;
  client: ClusterClient;
  log: Logger;
  intervalMs: number;
}

/** A cluster singleton: one node at a time finds SKUs with due reservations and tells each to expire them. */
export function expirySweeper(deps: SweeperDeps): Singleton {
  return periodicSingleton('inventory-expiry-sweeper', deps.intervalMs, () => sweepOnce(deps));
}

export async function sweepOnce(deps: SweeperDeps): Promise<number> {
  try {
    const skus = await deps.repo.skusWithDueReservations(Date.now(), 500);
    await Promise.all(skus.map((sku) =>
      deps.client.ask(inventoryType, sku, { op: 'expire' }, { idempotent: true }).catch((err: unknown) => {
        deps.log.warn({ err, sku }, 'expiry sweep of a SKU failed; next round retries');
      })));
    return skus.length;
  } catch (err) {
    deps.log.warn({ err }, 'expiry sweep failed; next round retries');
    return 0;
  }
}
