// Typed calls to `cart:<userId>` for the gateway (and checkout, later).
import { InvalidError, type AskOptions, type ClusterClient } from '../../cluster/index.ts';
import { cartType, type CartLineForCheckout, type CartView } from './messages.ts';

type Asker<V> = (userId: string, msg: unknown, opts: AskOptions) => Promise<V>;

/** The calls that answer the cart's view, as `V` (the view, or its JSON text). */
class CartCalls<V> {
  constructor(private readonly call: Asker<V>) {}

  get(userId: string, opts: AskOptions = {}): Promise<V> {
    return this.call(userId, { op: 'get' }, { idempotent: true, ...opts });
  }

  /** Not idempotent (adds up), so never resent after a timeout; the gateway's Idempotency-Key covers client retries. */
  add(userId: string, sku: string, qty: number, opts: AskOptions = {}): Promise<V> {
    return this.call(userId, { op: 'add', sku, qty }, opts);
  }

  setQty(userId: string, sku: string, qty: number, opts: AskOptions = {}): Promise<V> {
    return this.call(userId, { op: 'set', sku, qty }, { idempotent: true, ...opts });
  }

  remove(userId: string, sku: string, opts: AskOptions = {}): Promise<V> {
    return this.call(userId, { op: 'remove', sku }, { idempotent: true, ...opts });
  }

  /**
   * A paid order's units leave the cart, every line in one message (one write). Applied once
   * per order (the cart records the order with the removal), so it is safe to send again. A
   * cart of an earlier release refuses it (InvalidError, see `refusedAsUnknown`).
   */
  boughtOnce(userId: string, orderId: string, lines: { sku: string; qty: number }[], opts: AskOptions = {}): Promise<V> {
    return this.call(userId, { op: 'boughtOnce', lines, orderId }, { idempotent: true, ...opts });
  }

  /**
   * The same without the order, for a cart of an earlier release: not idempotent (it
   * subtracts), so never resent after a timeout.
   */
  bought(userId: string, lines: { sku: string; qty: number }[], opts: AskOptions = {}): Promise<V> {
    return this.call(userId, { op: 'bought', lines }, opts);
  }

  clear(userId: string, opts: AskOptions = {}): Promise<V> {
    return this.call(userId, { op: 'clear' }, { idempotent: true, ...opts });
  }
}

export class CartApi extends CartCalls<CartView> {
  /** The same calls answering the view's JSON text, for a caller that forwards it as it is (the gateway). */
  readonly asJson: CartCalls<string>;

  constructor(private readonly client: ClusterClient) {
    super((userId, msg, opts) => client.ask<CartView>(cartType, userId, msg, opts));
    this.asJson = new CartCalls((userId, msg, opts) => client.askJson(cartType, userId, msg, opts));
  }

  /** The lines with the price each last showed (checkout charges that or refuses). */
  lines(userId: string, opts: AskOptions = {}): Promise<CartLineForCheckout[]> {
    return this.client.ask(cartType, userId, { op: 'lines' }, { idempotent: true, ...opts });
  }
}

/** Whether a cart refused a message as an op it does not know: a node of an earlier release. */
export function refusedAsUnknown(err: unknown): boolean {
  return err instanceof InvalidError && /^op must be one of/.test(err.message);
}
