// The payment port: what checkout needs from a card processor. A real processor plugs in
// behind the same interface; every charge carries an idempotency key, and a charge sent
// again with the same key must return the first outcome, never charge twice.

export interface ChargeRequest {
  /** Unique per payment attempt; a retry of the same attempt reuses it. */
  idempotencyKey: string;
  orderId: string;
  /** Minor units. */
  amount: number;
  currency: string;
  /** The card token from the client's payment form (never a card number). */
  token: string;
}

export type ChargeResult =
  | { status: 'approved'; paymentId: string }
  | { status: 'declined'; reason: string };

/** The provider did not answer in time: the charge may or may not have happened. */
export class ProviderTimeoutError extends Error {
  override name = 'ProviderTimeoutError';
}

export interface PaymentProvider {
  charge(req: ChargeRequest): Promise<ChargeResult>;
  /** Gives an approved charge back (an order that could not be fulfilled). Idempotent. */
  refund(paymentId: string): Promise<void>;
}
