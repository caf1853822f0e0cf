// The `checkout:<orderId>` entity: one actor per order runs its saga one message at a time
// (so two payments of one order never race), loads the order with its first message and,
// after any failure, reads it again so memory never runs ahead of what is stored.
import { RejectedError, UnavailableError, type EntityContext, type EntityDefinition } from '../../cluster/index.ts';
import { FencedWriteError } from '../../stores/mysql/writes.ts';
import { StoreOutcomeUnknownError, StoreUnavailableError } from '../../stores/mysql/errors.ts';
import type { OrderRecord } from '../../stores/mysql/orders.ts';
import { checkoutType, decodeCheckoutMsg, type CheckoutMsg } from './messages.ts';
import { ChargedNotFinishedError, Saga, notFound, summary, type CheckoutDeps } from './saga.ts';
import { deliver, refund, requestReturn, returned, ship } from './after-payment.ts';
import { releaseIds } from './reserve.ts';
import { foundFor } from './start.ts';
import { orderStatus } from './public-status.ts';

export interface CheckoutState {
  order: OrderRecord | undefined;
  /** Undefined until the first message: it decides how the order is claimed (see `load`). */
  saga: Saga | undefined;
  /**
   * The refusal this activation answered a start of the order with. A start that takes
   * longer than one attempt (2 s) is resent by the caller's client and queued behind the
   * first; a refusal gives back what it reserved, so running the resend found its own
   * reservations released and answered `order_closed` ("check out again") instead of why
   * the order was refused (too_many_open_orders, coupon_invalid, …). The resend is the
   * same request, so it gets the same answer.
   */
  refusedStart?: { userId: string; err: RejectedError };
}

const open = (o: OrderRecord) => o.status === 'pending_payment' || o.status === 'payment_declined';

function closed(o: OrderRecord): RejectedError {
  if (o.status === 'expired') return new RejectedError('order_expired', `order ${o.orderId} expired unpaid; its stock was released`);
  return new RejectedError('order_closed', `order ${o.orderId} is ${orderStatus(o)}`, { data: { status: orderStatus(o), state: o.status } });
}

async function step(state: CheckoutState, saga: Saga, msg: CheckoutMsg, orderId: string): Promise<unknown> {
  const now = Date.now();
  let order = state.order;
  if (msg.op === 'start') {
    if (order) {
      if (order.userId !== msg.userId) throw notFound(order.orderId);
      return summary(foundFor(order, msg));
    }
    if (state.refusedStart?.userId === msg.userId) throw state.refusedStart.err;
    try {
      state.order = await saga.start(msg, now);
    } catch (err) {
      if (err instanceof RejectedError) state.refusedStart = { userId: msg.userId, err };
      throw err;
    }
    return summary(state.order);
  }
  if (msg.op === 'expire') {
    if (order && open(order) && order.reservedUntil <= now) state.order = await saga.expire(order, now);
    return { status: state.order?.status ?? 'none' };
  }
  if (msg.op === 'abandon') {
    // Recorded after all (this entity loaded it, or a start ran just before): the order's
    // own life (pay, expire) settles its reservations. Otherwise nothing will use them.
    if (order) return { status: order.status };
    // Only this order's own reservations (`<orderId>:<sku>…`, see reserve.ts).
    const ours = msg.reservations.filter((r) => r.id.startsWith(`${orderId}:`));
    await releaseIds(saga.deps.inventory, ours);
    return { status: 'none', released: ours.length };
  }
  if (msg.op === 'resume') {
    if (order?.status === 'charging') state.order = await saga.pay(order, undefined, now);
    else if (order?.status === 'refunding') state.order = await saga.finishRefund(order);
    return { status: state.order?.status ?? 'none' };
  }
  // Admin transitions: the gateway checked the admin token.
  if (msg.op === 'ship' || msg.op === 'deliver' || msg.op === 'returned') {
    if (!order) throw notFound(orderId);
    if (msg.op === 'ship') state.order = await ship(saga, order, msg.carrier, msg.trackingNumber, now);
    else if (msg.op === 'deliver') state.order = await deliver(saga, order, now);
    else state.order = await returned(saga, order, now);
    return { orderId, status: orderStatus(state.order) };
  }
  if (!order || order.userId !== msg.userId) throw notFound(orderId);
  switch (msg.op) {
    case 'get':
      return summary(order);
    case 'pay':
      if (order.status === 'paid') return { orderId: order.orderId, status: 'paid' };
      if (open(order) && order.reservedUntil <= now) {
        state.order = await saga.expire(order, now);
        throw closed(state.order);
      }
      if (!open(order) && order.status !== 'charging') throw closed(order);
      order = state.order = await saga.pay(order, msg.token, now);
      if (order.status === 'paid') return { orderId: order.orderId, status: 'paid' };
      if (order.status === 'payment_declined') {
        throw new RejectedError('payment_declined', 'the card was declined; the order stays payable until reservedUntil', {
          data: { orderId: order.orderId, reservedUntil: new Date(order.reservedUntil).toISOString() },
        });
      }
      throw closed(order);
    case 'cancel':
      if (order.status === 'cancelled') return { orderId: order.orderId, status: 'cancelled' };
      if (order.status === 'charging') throw new RejectedError('payment_in_progress', 'a payment is in progress; cancel after it ends');
      if (order.status === 'paid') throw new RejectedError('order_paid', 'the order is paid: ask for a refund (POST /v1/orders/:id/refund) instead');
      if (!open(order)) throw closed(order);
      state.order = await saga.cancel(order, now);
      return { orderId: order.orderId, status: 'cancelled' };
    case 'refund':
      state.order = await refund(saga, order, now);
      return { orderId, status: orderStatus(state.order) };
    case 'return':
      state.order = await requestReturn(saga, order, now);
      return { orderId, status: orderStatus(state.order) };
  }
}

export function checkoutEntity(deps: CheckoutDeps): EntityDefinition<CheckoutState, CheckoutMsg, unknown> {
  /**
   * Claims the order's next epoch, then reads it: what every activation does before it
   * acts. The claim before the read: every write of an earlier activation either landed
   * before it (and is read here) or fails its fence. `ifExists`, for a message that acts
   * only on an order that exists: for an id without one (a shopper's made-up order id),
   * nothing is claimed, so nothing is written, and the saga cannot write; the next message
   * looks again (see `run`).
   */
  async function claimAndLoad(state: CheckoutState, ctx: EntityContext, ifExists = false): Promise<Saga> {
    const { fence, order } = await deps.orders.claimAndGet(ctx.id, ifExists);
    state.order = order;
    return (state.saga = new Saga({ ...deps, orders: fence ? deps.orders.fencedBy(fence) : deps.orders.unclaimed() }, ctx));
  }

  /**
   * The first message decides: a checkout of a freshly minted id claims the order with the
   * write that creates it (every order of a flash sale saves a transaction, and the read of
   * a row that cannot exist); a checkout resent and an abandon, which act on an order that
   * may not be recorded yet, claim and read first; anything else, which needs the order,
   * claims only if it exists.
   */
  function load(state: CheckoutState, msg: CheckoutMsg, ctx: EntityContext): Saga | Promise<Saga> {
    if (state.saga) return state.saga;
    if (msg.op === 'start' && msg.fresh) return (state.saga = new Saga({ ...deps, orders: deps.orders.claimingOnCreate(ctx.id) }, ctx));
    return claimAndLoad(state, ctx, msg.op !== 'start' && msg.op !== 'abandon');
  }

  async function run(state: CheckoutState, msg: CheckoutMsg, ctx: EntityContext): Promise<unknown> {
    const saga = await load(state, msg, ctx);
    try {
      return await step(state, saga, msg, ctx.id);
    } catch (err) {
      if (!(err instanceof FencedWriteError) || saga.deps.orders.holdsFence) throw err;
      // The minted id was claimed by another activation first: the same checkout resent
      // by the gateway, whose first attempt reached another node or is still at work, or
      // the sweeper's abandon of what this attempt reserved. So claim it the ordinary way
      // and read: an order recorded by the first attempt is the answer. Without one, this
      // node does not place it: it may have been paused past its lease, with the owner
      // releasing these very reservations. The resend is routed to the owner, behind
      // whatever that owner is doing with the order.
      const claimed = await claimAndLoad(state, ctx);
      if (!state.order) throw new UnavailableError(`order ${ctx.id} was taken up elsewhere; retry`);
      return step(state, claimed, msg, ctx.id);
    } finally {
      // A checkout that did not create its order (refused, failed, or it answered an order
      // another activation recorded) holds no epoch: what it knows of the order was read
      // unfenced, if at all, so the next message claims and reads like any activation.
      if (state.saga && !state.saga.deps.orders.holdsFence) {
        state.saga = undefined;
        state.order = undefined;
      }
    }
  }

  return {
    type: checkoutType,
    ...(deps.idleTimeoutMs ? { idleTimeoutMs: deps.idleTimeoutMs } : {}),
    decode: decodeCheckoutMsg,
    activate: () => ({ order: undefined, saga: undefined }),
    async receive(state, msg, reply, ctx) {
      try {
        reply.ok(await run(state, msg, ctx));
      } catch (err) {
        // After a charge the caller hears `payment_pending` whatever failed; what failed
        // still decides what becomes of this activation.
        const cause = err instanceof ChargedNotFinishedError ? err.cause : err;
        if (cause instanceof FencedWriteError) {
          ctx.stop();
          reply.fail(err instanceof ChargedNotFinishedError ? err : new UnavailableError(`order ${ctx.id} changed underneath; retry`));
          return state;
        }
        if (cause instanceof StoreOutcomeUnknownError || cause instanceof StoreUnavailableError) {
          // The database did not answer: memory may be behind or ahead of the order row.
          // The next message reloads it, so a retried pay answers the order's true state.
          ctx.stop();
          reply.fail(err);
          return state;
        }
        reply.fail(err);
        // A step may have moved the order before failing: memory follows the store. When
        // the store cannot be read either, memory is not kept: a pay that moved the order to
        // `charging` and then failed would leave it at the old status, and the sweeper's
        // resume, which writes nothing, would find "nothing to do" for as long as the
        // entity lived. Stopped, the next message loads what is stored.
        if (!(err instanceof RejectedError) || state.order?.status === 'charging' || state.order?.status === 'refunding') {
          try {
            state.order = await deps.orders.get(ctx.id);
          } catch {
            ctx.stop();
          }
        }
      }
      return state;
    },
  };
}
