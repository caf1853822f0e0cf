// A gateway's short memory of SKUs its checkouts found sold out. After the last unit of a
// flash sale goes, every further buyer's checkout would activate an order entity (an epoch
// claim in MariaDB, the buyer's load) and ask the SKU's inventory entity, only to be told
// "insufficient_stock": half of a sale's CPU when half the crowd loses (bench:flash-sale
// --via http). For SOLD_OUT_GATE_MS after such an answer, this gateway gives the same answer
// to buy-now checkouts of that SKU itself.
//
// Only "no unit free in any warehouse" is remembered (the rejection's `soldOut`), which
// holds for every buyer, quantity and address; a unit that comes back (an unpaid order
// expires, stock is added) is offered again at most SOLD_OUT_GATE_MS later. Nothing is
// ever sold that is not there: the gate only refuses, and a checkout it lets through is
// decided by the inventory entity as before. A checkout with an Idempotency-Key is never
// refused here: its retry must find the order its first attempt may have placed.
import { RejectedError } from '../cluster/index.ts';
import { insufficientStock } from '../actors/checkout/reserve.ts';

/** Enough for every SKU of a large sale; past it the memory starts again. */
const maxRemembered = 10_000;

export class SoldOutGate {
  /** SKU → until when it is refused here (ms since the epoch). */
  private readonly until = new Map<string, number>();
  /** Checkouts refused here, for /metrics. */
  refused = 0;

  constructor(private readonly holdMs: number, private readonly now: () => number = Date.now) {}

  /** The refusal for these items if any of them is remembered sold out, else undefined. */
  check(items: readonly { sku: string }[]): RejectedError | undefined {
    if (this.holdMs <= 0 || this.until.size === 0) return undefined;
    const now = this.now();
    let gone: string[] | undefined;
    for (const { sku } of items) {
      const until = this.until.get(sku);
      if (until === undefined) continue;
      if (until > now) (gone ??= []).push(sku);
      else this.until.delete(sku);
    }
    if (!gone) return undefined;
    this.refused++;
    return insufficientStock(gone, gone);
  }

  /** Remembers the SKUs a checkout's rejection says are sold out everywhere. */
  learn(err: unknown): void {
    if (this.holdMs <= 0 || !(err instanceof RejectedError) || err.code !== 'insufficient_stock') return;
    const soldOut = (err.data as { soldOut?: unknown } | undefined)?.soldOut;
    if (!Array.isArray(soldOut)) return;
    if (this.until.size + soldOut.length > maxRemembered) this.until.clear();
    const until = this.now() + this.holdMs;
    for (const sku of soldOut) if (typeof sku === 'string') this.until.set(sku, until);
  }
}
