// Typed calls to `cart:<userId>` for the gateway (and checkout, later).
import type { AskOptions, ClusterClient } from '../../cluster/index.ts';
import { cartType, type CartLineForCheckout, type CartView } from './messages.ts';

export class CartApi {
  constructor(private readonly client: ClusterClient) {}

  get(userId: string, opts: AskOptions = {}): Promise<CartView> {
    return this.client.ask(cartType, userId, { op: 'get' }, { idempotent: true, ...opts });
  }

  /** Not idempotent (adds up), so never resent after a timeout; the gateway's Idempotency-Key covers client retries. */
  add(userId: string, sku: string, qty: number, opts: AskOptions = {}): Promise<CartView> {
    return this.client.ask(cartType, userId, { op: 'add', sku, qty }, opts);
  }

  setQty(userId: string, sku: string, qty: number, opts: AskOptions = {}): Promise<CartView> {
    return this.client.ask(cartType, userId, { op: 'set', sku, qty }, { idempotent: true, ...opts });
  }

  remove(userId: string, sku: string, opts: AskOptions = {}): Promise<CartView> {
    return this.client.ask(cartType, userId, { op: 'remove', sku }, { idempotent: true, ...opts });
  }

  /** The lines with the price each last showed (checkout charges that or refuses). */
  lines(userId: string, opts: AskOptions = {}): Promise<CartLineForCheckout[]> {
    return this.client.ask(cartType, userId, { op: 'lines' }, { idempotent: true, ...opts });
  }

  clear(userId: string, opts: AskOptions = {}): Promise<CartView> {
    return this.client.ask(cartType, userId, { op: 'clear' }, { idempotent: true, ...opts });
  }
}
