// Placing and paying an order as the gateway does it, for the chain's routes
// (routes/checkout.ts) and the fast lane (routes/order-fast.ts) alike: one place for the
// sold-out gate's rule and for how an order id is chosen.
import { createHash } from 'node:crypto';
import { CheckoutApi, newOrderId, type OrderSummary } from '../actors/checkout/index.ts';
import type { ClusterClient } from '../cluster/index.ts';
import type { z } from 'zod/v4';
import type { checkoutBody, payBody } from './schemas-orders.ts';
import { SoldOutGate } from './sold-out-gate.ts';

export class OrderTaking {
  readonly gate: SoldOutGate;
  private readonly checkout: CheckoutApi;

  constructor(client: ClusterClient, soldOutGateMs: number) {
    this.checkout = new CheckoutApi(client);
    this.gate = new SoldOutGate(soldOutGateMs);
  }

  /** Places the order (201 with its summary), or throws the refusal. */
  async place(userId: string, input: z.infer<typeof checkoutBody>, idempotencyKey: string | undefined): Promise<OrderSummary> {
    // Buy-now only (a cart's lines are not known here); never with a key (see sold-out-gate.ts).
    const refusal = input.items && idempotencyKey === undefined ? this.gate.check(input.items) : undefined;
    if (refusal) throw refusal;
    // With an Idempotency-Key the order id is derived from it, so a retry whose first
    // attempt's outcome was lost finds the same order instead of placing a second one.
    const orderId = idempotencyKey !== undefined ? `o${createHash('sha256').update(`${userId}\n${idempotencyKey}`).digest('hex').slice(0, 30)}` : newOrderId();
    try {
      return await this.checkout.start(orderId, {
        userId,
        ...(input.items ? { items: input.items } : {}),
        ...(input.addressId ? { addressId: input.addressId } : {}),
        ...(input.couponCode ? { couponCode: input.couponCode } : {}),
        ...(input.usePoints ? { usePoints: input.usePoints } : {}),
        // A minted id names nothing stored yet: the order's entity may skip its claim's read.
        ...(idempotencyKey !== undefined ? {} : { fresh: true }),
      });
    } catch (err) {
      this.gate.learn(err);
      throw err;
    }
  }

  pay(orderId: string, userId: string, input: z.infer<typeof payBody>): Promise<{ orderId: string; status: string }> {
    return this.checkout.pay(orderId, userId, input.paymentMethod.token);
  }

  cancel(orderId: string, userId: string): Promise<{ orderId: string; status: string }> {
    return this.checkout.cancel(orderId, userId);
  }
}
