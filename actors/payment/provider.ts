// The payment port: what checkout needs from a card processor. A real processor plugs in
// behind the same interface; every charge carries an idempotency key, and a charge sent
// again with the same key must return the first outcome, never charge twice.
import type { Statement } from '../../stores/mysql/writes.ts';
import type { Merge, PartOutputs } from '../../stores/mysql/journal.ts';

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

/**
 * A charge made as statements of the caller's own transaction, for a provider whose books
 * are in the same database (the simulator): checkout records it with the order's move to
 * `charging`, so the two can never be seen apart and cost one write instead of two.
 */
export interface InlineCharge {
  statements: Statement[];
  /** The `@out_<name>` values the statements set, handed to `settle`. */
  outputs: string[];
  /** The charge's outcome from those values, after the transaction committed (may throw ProviderTimeoutError as `charge` does). */
  settle(out: PartOutputs): Promise<ChargeResult>;
  /**
   * The outcome these statements record and `settle` will answer, when the provider knows it
   * before they run (the simulator decides a new attempt up front). With it, checkout
   * records the order's next step (paid, or declined) in the same transaction as the charge.
   * Absent when the answer is not known before (a processor that may go silent): the order
   * waits in `charging` for it.
   */
  expected?: ExpectedCharge;
}

/** A charge whose outcome is known before it is made (InlineCharge.expected). */
export interface ExpectedCharge {
  result: ChargeResult;
  /**
   * The charge for that path, in place of `statements`: recorded if new, and the transaction
   * failed (`charge_unexpected`) unless the recorded outcome is `result`'s. No outputs: the
   * outcome is `result`, so nothing is read back when the charge was new.
   */
  statements: Statement[];
  /** The same statements as merge items, so several orders' charges go as one (journal.ts `Merge`). */
  merge?: readonly Merge<unknown>[];
  /** Resolves when the processor would have answered (its network time, as `settle` adds). */
  answered(): Promise<void>;
}

export interface PaymentProvider {
  charge(req: ChargeRequest): Promise<ChargeResult>;
  /** The same charge as statements of the caller's transaction, when the provider can (see InlineCharge). */
  inline?(req: ChargeRequest): InlineCharge;
  /** Gives an approved charge back (an order that could not be fulfilled). Idempotent. */
  refund(paymentId: string): Promise<void>;
}
