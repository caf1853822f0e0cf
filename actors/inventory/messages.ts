// The inventory entity's protocol: what can be asked of `inventory:<sku>`, what it answers,
// and the checks every message passes before it reaches the decision logic.
import { InvalidError } from '../../cluster/index.ts';

export const inventoryType = 'inventory';

/** Ids travel in NATS subjects and SQL keys: keep them to safe characters. */
const idPattern = /^[A-Za-z0-9_\-:@+=]{1,128}$/;
/** Warehouse ids are stored in 64-character columns. */
const warehousePattern = /^[A-Za-z0-9_\-:@+=]{1,64}$/;
export const maxTtlMs = 7 * 24 * 3600_000;
export const maxQty = 1_000_000;

export interface ReserveMsg {
  op: 'reserve';
  reservationId: string;
  qty: number;
  /** How long the reservation holds before it is released unless committed. */
  ttlMs: number;
  /** Who holds it, such as an order id. */
  owner?: string;
  /** Warehouses to try first, in this order (for example the fastest to the address). */
  preferWarehouses?: string[];
  /** Only from `preferWarehouses` (for example those that ship to the address), never another. */
  onlyPreferred?: boolean;
}
export interface CommitMsg { op: 'commit'; reservationId: string }
export interface ReleaseMsg { op: 'release'; reservationId: string }
/** Undoes a commit whose sale fell through (the payment was refunded): the units return to stock. */
export interface RestoreMsg { op: 'restore'; reservationId: string }
export interface RestockMsg { op: 'restock'; warehouseId: string; qty: number }
/**
 * Sets absolute levels. `commandId` makes it safe to resend: a command already applied
 * (within the dedup window) answers the current view instead of setting the levels again
 * over the sales made since. Without one, the message is never resent.
 */
export interface SetStockMsg { op: 'setStock'; warehouses: { warehouseId: string; onHand: number }[]; commandId?: string }
export interface GetMsg { op: 'get' }
/** Releases every reservation past its expiry (sent by the expiry sweeper). */
export interface ExpireMsg { op: 'expire' }

export type InventoryMsg = ReserveMsg | CommitMsg | ReleaseMsg | RestoreMsg | RestockMsg | SetStockMsg | GetMsg | ExpireMsg;

export interface Reserved {
  reservationId: string;
  status: 'reserved';
  warehouseId: string;
  qty: number;
  expiresAt: number;
}
export interface Finalized {
  reservationId: string;
  status: 'committed' | 'released' | 'expired';
}
export interface WarehouseView { warehouseId: string; onHand: number; reserved: number; available: number }
export type StockStatus = 'in_stock' | 'low' | 'out_of_stock';
export interface InventoryView {
  sku: string;
  onHand: number;
  reserved: number;
  available: number;
  status: StockStatus;
  warehouses: WarehouseView[];
}
export interface Expired { expired: number }

export type InventoryReply = Reserved | Finalized | InventoryView | Expired;

function field(m: Record<string, unknown>, name: string): unknown {
  return m[name];
}

function id(m: Record<string, unknown>, name: string): string {
  const v = field(m, name);
  if (typeof v !== 'string' || !idPattern.test(v)) throw new InvalidError(`${name} must be 1-128 characters of letters, digits and _-:@+=`);
  return v;
}

function warehouse(m: Record<string, unknown>, name: string): string {
  const v = field(m, name);
  if (typeof v !== 'string' || !warehousePattern.test(v)) throw new InvalidError(`${name} must be 1-64 characters of letters, digits and _-:@+=`);
  return v;
}

function int(m: Record<string, unknown>, name: string, min: number, max: number): number {
  const v = field(m, name);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new InvalidError(`${name} must be a whole number from ${min} to ${max}`);
  return v;
}

/** Checks a message from the wire; throws InvalidError naming the first bad field. */
export function decodeInventoryMsg(raw: unknown): InventoryMsg {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InvalidError('message must be an object');
  const m = raw as Record<string, unknown>;
  switch (m.op) {
    case 'reserve': {
      const msg: ReserveMsg = { op: 'reserve', reservationId: id(m, 'reservationId'), qty: int(m, 'qty', 1, maxQty), ttlMs: int(m, 'ttlMs', 1, maxTtlMs) };
      if (m.owner !== undefined) msg.owner = id(m, 'owner');
      if (m.preferWarehouses !== undefined) {
        if (!Array.isArray(m.preferWarehouses) || m.preferWarehouses.length > 64) throw new InvalidError('preferWarehouses must be an array of at most 64 warehouse ids');
        msg.preferWarehouses = m.preferWarehouses.map((w, i) => warehouse({ [`preferWarehouses[${i}]`]: w }, `preferWarehouses[${i}]`));
      }
      if (m.onlyPreferred === true) msg.onlyPreferred = true;
      return msg;
    }
    case 'commit':
    case 'release':
    case 'restore':
      return { op: m.op, reservationId: id(m, 'reservationId') };
    case 'restock':
      return { op: 'restock', warehouseId: warehouse(m, 'warehouseId'), qty: int(m, 'qty', 1, maxQty) };
    case 'setStock': {
      if (!Array.isArray(m.warehouses) || m.warehouses.length === 0 || m.warehouses.length > 256) {
        throw new InvalidError('warehouses must be a non-empty array of at most 256 { warehouseId, onHand }');
      }
      const seen = new Set<string>();
      const warehouses = m.warehouses.map((w: unknown, i: number) => {
        if (typeof w !== 'object' || w === null) throw new InvalidError(`warehouses[${i}] must be an object`);
        const entry = w as Record<string, unknown>;
        const warehouseId = warehouse(entry, 'warehouseId');
        if (seen.has(warehouseId)) throw new InvalidError(`warehouses[${i}].warehouseId ${warehouseId} appears twice`);
        seen.add(warehouseId);
        return { warehouseId, onHand: int(entry, 'onHand', 0, 1_000_000_000) };
      });
      const msg: SetStockMsg = { op: 'setStock', warehouses };
      if (m.commandId !== undefined) msg.commandId = id(m, 'commandId');
      return msg;
    }
    case 'get':
      return { op: 'get' };
    case 'expire':
      return { op: 'expire' };
    default:
      throw new InvalidError('op must be one of reserve, commit, release, restore, restock, setStock, get, expire');
  }
}
