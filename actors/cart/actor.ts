// The cart entity's wiring: loaded from MariaDB on activation, each change written (with
// the version as a fence) before the reply, passivated when idle. A cart gets a handful
// of messages a minute; its writes join the node's journal.
import { JsonText, TimeoutError, UnavailableError, type EntityDefinition } from '../../cluster/index.ts';
import type { Fence } from '../../stores/mysql/epochs.ts';
import { StoreOutcomeUnknownError } from '../../stores/mysql/errors.ts';
import type { CartRepository } from '../../stores/mysql/carts.ts';
import type { ProductRepository } from '../../stores/mysql/products.ts';
import { FencedWriteError } from '../../stores/mysql/writes.ts';
import { cartType, decodeCartMsg, type CartLineForCheckout, type CartMsg, type CartView } from './messages.ts';
import { cartView, decideCart, type CartModel, type ProductInfo, type TodayPrices } from './state.ts';

export interface CartDeps {
  repo: CartRepository;
  products: ProductRepository;
  idleTimeoutMs?: number;
}

/** The cart and the epoch its activation claimed. */
export interface CartState {
  model: CartModel;
  fence: Fence;
  /** The last view answered, as sent, and what it was made from. */
  shown?: ShownView;
}

/**
 * A view's JSON text with the cart and the product records it was made from. The model is
 * replaced on every change and a product record whenever the shared product cache reads it
 * again, so the same objects mean the same view: a read after an add or another read sends
 * the text again instead of building and encoding the view (in the cart bench, half the
 * requests).
 */
interface ShownView {
  model: CartModel;
  /** The product of each line, in line order, as the view saw it (undefined: none). */
  products: (ProductInfo | undefined)[];
  text: JsonText;
}

function productsOf(model: CartModel, today: TodayPrices | undefined): (ProductInfo | undefined)[] {
  const out: (ProductInfo | undefined)[] = [];
  for (const sku of model.lines.keys()) out.push(today?.get(sku));
  return out;
}

function stillShows(shown: ShownView | undefined, model: CartModel, today: TodayPrices | undefined): shown is ShownView {
  if (!shown || shown.model !== model) return false;
  let i = 0;
  for (const sku of model.lines.keys()) if (shown.products[i++] !== today?.get(sku)) return false;
  return true;
}

/** `JsonText`: a view encoded before (the wire sends it as it is; callers read a CartView). */
export function cartEntity(deps: CartDeps): EntityDefinition<CartState, CartMsg, CartView | CartLineForCheckout[] | JsonText> {
  return {
    type: cartType,
    ...(deps.idleTimeoutMs ? { idleTimeoutMs: deps.idleTimeoutMs } : {}),
    decode: decodeCartMsg,
    async activate(userId) {
      const fence = await deps.repo.claim(userId);
      const stored = await deps.repo.load(userId);
      return { fence, model: { userId, version: stored.version, lines: new Map(stored.lines.map((l) => [l.sku, l])) } };
    },
    async receive(state, msg, reply, ctx) {
      const { model, fence } = state;
      let product;
      let today: TodayPrices | undefined;
      try {
        if (msg.op === 'add') product = await deps.products.get(msg.sku);
        // Today's prices (and removals) of the lines, from the shared short product cache.
        if (msg.op !== 'lines' && model.lines.size > 0) today = await deps.products.getMany([...model.lines.keys()]);
      } catch (err) {
        reply.fail(new UnavailableError('the product store did not answer; retry', { cause: err }));
        return state;
      }
      // A paid order's units are taken once: a resend (its first answer was lost) is told
      // the cart as it is.
      if (msg.op === 'bought' && msg.orderId !== undefined) {
        let applied: boolean;
        try {
          applied = await deps.repo.boughtApplied(model.userId, msg.orderId);
        } catch (err) {
          reply.fail(new UnavailableError('the cart store did not answer; retry', { cause: err }));
          return state;
        }
        if (applied) {
          reply.ok(cartView(model, today));
          return state;
        }
      }
      if (msg.op === 'get' && stillShows(state.shown, model, today)) {
        reply.ok(state.shown.text);
        return state;
      }
      // A new line's product is today's record of it too, so the view after an add is the
      // one a read would build from the same records.
      if (product && !today?.has(product.sku)) today = new Map(today ?? []).set(product.sku, product);
      const d = decideCart(model, msg, Date.now(), product, today);
      if ('rejected' in d) {
        reply.fail(d.rejected);
        return state;
      }
      if (d.write) {
        try {
          await deps.repo.write({ userId: model.userId, fence, expectedVersion: model.version, ...d.write });
        } catch (err) {
          // The next message reloads whatever the store holds.
          ctx.stop();
          if (err instanceof StoreOutcomeUnknownError) {
            // The COMMIT's answer was lost: it may be saved. A timeout, so that only an
            // idempotent request is resent; the reload shows what happened.
            ctx.log.warn({ userId: model.userId }, 'cart write outcome unknown; reloading');
            reply.fail(new TimeoutError('the cart change may or may not have been saved; read the cart before resending', { cause: err }));
            return state;
          }
          // Not written, so not applied: the caller may retry.
          if (err instanceof FencedWriteError) ctx.log.warn({ userId: model.userId }, 'cart write fenced; reloading');
          else ctx.log.error({ err, userId: model.userId }, 'cart write failed; reloading');
          reply.fail(new UnavailableError('the cart could not be saved; retry', { cause: err }));
          return state;
        }
      }
      if (msg.op === 'lines') {
        reply.ok(d.ok);
        return { fence, model: d.next };
      }
      const text = new JsonText(JSON.stringify(d.ok));
      reply.ok(text);
      return { fence, model: d.next, shown: { model: d.next, products: productsOf(d.next, today), text } };
    },
  };
}
