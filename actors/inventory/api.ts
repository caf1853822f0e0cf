// Typed calls to `inventory:<sku>` for other actors, the gateway and benches.
import type { AskOptions, ClusterClient } from '../../cluster/index.ts';
import { inventoryType, type Finalized, type InventoryView, type Reserved, type ReserveMsg, type SetStockMsg } from './messages.ts';

export class InventoryApi {
  constructor(private readonly client: ClusterClient) {}

  /** Reserves `qty` units; rejects with RejectedError `insufficient_stock`. Safe to retry with the same id. */
  reserve(sku: string, req: Omit<ReserveMsg, 'op'>, opts: AskOptions = {}): Promise<Reserved> {
    return this.client.ask(inventoryType, sku, { op: 'reserve', ...req }, { idempotent: true, ...opts });
  }

  commit(sku: string, reservationId: string, opts: AskOptions = {}): Promise<Finalized> {
    return this.client.ask(inventoryType, sku, { op: 'commit', reservationId }, { idempotent: true, ...opts });
  }

  release(sku: string, reservationId: string, opts: AskOptions = {}): Promise<Finalized> {
    return this.client.ask(inventoryType, sku, { op: 'release', reservationId }, { idempotent: true, ...opts });
  }

  /** Puts a committed reservation's units back (a refunded sale); releases an active one. Idempotent. */
  restore(sku: string, reservationId: string, opts: AskOptions = {}): Promise<Finalized> {
    return this.client.ask(inventoryType, sku, { op: 'restore', reservationId }, { idempotent: true, ...opts });
  }

  /** Adds units; not idempotent, so it is not resent after a timeout. */
  restock(sku: string, warehouseId: string, qty: number, opts: AskOptions = {}): Promise<InventoryView> {
    return this.client.ask(inventoryType, sku, { op: 'restock', warehouseId, qty }, opts);
  }

  setStock(sku: string, warehouses: SetStockMsg['warehouses'], opts: AskOptions = {}): Promise<InventoryView> {
    return this.client.ask(inventoryType, sku, { op: 'setStock', warehouses }, { idempotent: true, ...opts });
  }

  get(sku: string, opts: AskOptions = {}): Promise<InventoryView> {
    return this.client.ask(inventoryType, sku, { op: 'get' }, { idempotent: true, ...opts });
  }
}
