// Typed calls to `inventory:<sku>` for other actors, the gateway and benches.
import { randomUUID } from 'node:crypto';
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

  /**
   * Sets absolute levels per warehouse. Each call is one command with its own id, so a
   * resend after a lost reply is recognised and not applied twice over the sales made
   * in between; pass `commandId` to make a caller's own retries safe too.
   */
  setStock(sku: string, warehouses: SetStockMsg['warehouses'], opts: AskOptions & { commandId?: string } = {}): Promise<InventoryView> {
    const { commandId = `set-${randomUUID()}`, ...ask } = opts;
    return this.client.ask(inventoryType, sku, { op: 'setStock', warehouses, commandId }, { idempotent: true, ...ask });
  }

  get(sku: string, opts: AskOptions = {}): Promise<InventoryView> {
    return this.client.ask(inventoryType, sku, { op: 'get' }, { idempotent: true, ...opts });
  }
}
