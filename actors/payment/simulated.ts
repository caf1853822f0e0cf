// A simulated card processor that lives in the project: it keeps its charges in MariaDB
// (its own table, as a real processor keeps its own books), honours idempotency keys,
// and has test tokens: tok_ok approves, tok_decline declines, tok_timeout records the
// charge and then does not answer in time (a retry with the same key gets the outcome).
// Any other token is approved unless the configured decline rate says otherwise. It decides
// a new charge before making it, so it can tell checkout the outcome up front (except for
// tok_timeout), and checkout then records the charge and the order's outcome in one write.
import type { Pool } from '../../stores/mysql/index.ts';
import { DirectWriter, mergeOf, type MergeKind, type Writer } from '../../stores/mysql/journal.ts';
import { mergeRank } from '../../stores/mysql/merged-writes.ts';
import { ProviderTimeoutError, type ChargeRequest, type ChargeResult, type InlineCharge, type PaymentProvider } from './provider.ts';
import type { Statement } from '../../stores/mysql/writes.ts';

export interface SimulatedOptions {
  /** Added to every call, as a network round trip would be. */
  latencyMs: number;
  /** Share of ordinary tokens declined, 0..1. */
  declineRate: number;
  /** How long tok_timeout keeps the caller waiting before it fails. */
  timeoutMs: number;
  /**
   * Tell the caller each new charge's outcome before it is made (InlineCharge.expected),
   * so checkout records it with the order's outcome in one write. Default true; false
   * makes the simulator answer only after the charge, as a real processor does.
   */
  outcomeUpFront?: boolean;
}

const chargeColumns = '(idempotency_key, order_id, amount, currency, outcome, reason, created_at)';

/**
 * Charges known up front, of several orders written together (journal.ts `Merge`): one
 * insert of the new ones, then one count that every key holds the outcome expected of it,
 * failed with `charge_unexpected` otherwise, as each charge's own check would.
 */
const expectedCharges: MergeKind<{ row: unknown[]; key: string; outcome: string }> = {
  rank: mergeRank.sideEffect,
  combine(charges) {
    const expected = [...new Map(charges.map((c) => [`${c.outcome}:${c.key}`, [c.key, c.outcome]])).values()];
    return [
      { sql: `INSERT IGNORE INTO sim_charges ${chargeColumns} VALUES ?;`, params: [charges.map((c) => c.row)] },
      {
        sql: `IF (SELECT COUNT(*) FROM sim_charges WHERE (idempotency_key, outcome) IN (?)) <> ${expected.length}
          THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'charge_unexpected'; END IF;`,
        params: [expected],
      },
    ];
  },
};

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class SimulatedCardProcessor implements PaymentProvider {
  private readonly writer: Writer;

  /** `writer`: the node's journal, so the processor's books join the node's write batches. */
  constructor(private readonly pool: Pool, private readonly opts: SimulatedOptions, writer?: Writer) {
    this.writer = writer ?? new DirectWriter(pool);
  }

  async charge(req: ChargeRequest): Promise<ChargeResult> {
    const inline = this.inline(req);
    return inline.settle(await this.writer.write(inline.statements, `charge ${req.idempotencyKey}`, inline.outputs));
  }

  /** The charge as statements of the caller's transaction: its books are in the same database. */
  inline(req: ChargeRequest): InlineCharge {
    const declined = req.token === 'tok_decline' || (req.token !== 'tok_ok' && req.token !== 'tok_timeout' && Math.random() < this.opts.declineRate);
    // Record-if-new: INSERT IGNORE keeps the first outcome for a key (also against a
    // concurrent first attempt).
    const outcome = declined ? 'declined' : 'approved';
    const row = [req.idempotencyKey, req.orderId, req.amount, req.currency, outcome, declined ? 'card_declined' : null, Date.now()];
    const record: Statement = { sql: `INSERT IGNORE INTO sim_charges ${chargeColumns} VALUES (?);`, params: [row] };
    return {
      // Recorded if new, and read back: the SELECT returns the outcome the key keeps.
      statements: [
        record,
        { sql: 'SET @out_inserted = ROW_COUNT();' },
        { sql: 'SELECT outcome, reason INTO @out_outcome, @out_reason FROM sim_charges WHERE idempotency_key = ?;', params: [req.idempotencyKey] },
      ],
      outputs: ['inserted', 'outcome', 'reason'],
      // Known up front, except for tok_timeout, whose answer does not come. A key already used
      // keeps its first outcome, which must be the one expected here; a new one is, so it is
      // read back only when the insert found the key taken (two statements fewer per payment:
      // a quarter of the charge's MariaDB time, measured inside a journal batch).
      ...(req.token === 'tok_timeout' || this.opts.outcomeUpFront === false ? {} : {
        expected: {
          result: declined ? { status: 'declined', reason: 'card_declined' } : { status: 'approved', paymentId: req.idempotencyKey },
          statements: [
            record,
            {
              sql: "IF ROW_COUNT() = 0 AND NOT EXISTS (SELECT 1 FROM sim_charges WHERE idempotency_key = ? AND outcome = ?) THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'charge_unexpected'; END IF;",
              params: [req.idempotencyKey, outcome],
            },
          ],
          merge: [mergeOf(expectedCharges, { row, key: req.idempotencyKey, outcome })],
          answered: () => this.networkTime(),
        },
      }),
      settle: async (out) => {
        await this.networkTime();
        const outcome = String(out.outcome);
        const reason = out.reason === null || out.reason === undefined ? null : String(out.reason);
        const stored: ChargeResult = outcome === 'approved' ? { status: 'approved', paymentId: req.idempotencyKey } : { status: 'declined', reason: reason ?? 'card_declined' };
        // Only the first attempt for a key goes silent; a retry gets the recorded outcome.
        if (req.token === 'tok_timeout' && Number(out.inserted) === 1) {
          await sleep(this.opts.timeoutMs);
          throw new ProviderTimeoutError(`the processor did not answer within ${this.opts.timeoutMs} ms`);
        }
        return stored;
      },
    };
  }

  /** The processor's own network time, as a round trip to a real one would add. */
  private networkTime(): Promise<void> {
    return this.opts.latencyMs > 0 ? sleep(this.opts.latencyMs) : Promise.resolve();
  }

  async refund(paymentId: string): Promise<void> {
    await this.pool.query('UPDATE sim_charges SET refunded_at = ? WHERE idempotency_key = ? AND refunded_at IS NULL', [Date.now(), paymentId]);
  }
}
