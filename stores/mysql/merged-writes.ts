// Kinds of statement that many writers' parts share, each with how a journal batch writes
// all of its items at once (journal.ts `Merge`): an entity's fence, the claim of a new
// entity's first epoch, an outbox event. A writer's part lists its items of these next to
// its own kinds; the journal merges them only when the batch has other parts to merge with.
import { fencedSignal, guardAll, type Fence } from './epochs.ts';
import type { MergeKind } from './journal.ts';

/**
 * Ranks of the merged kinds, lowest written first. Fences go before any row is touched
 * (as each part's own guard does), a row before what refers to it, the outbox last.
 */
export const mergeRank = { fence: 0, lock: 10, row: 20, rowDetail: 30, sideEffect: 40, outbox: 90 } as const;

/** Every part's fence (epochs.ts `guard`): one shared-lock read of all of them. */
export const fenceGuards: MergeKind<Fence> = {
  rank: mergeRank.fence,
  combine: (fences) => [guardAll(fences)],
};

/**
 * Claims of new entities' first epochs (epochs.ts `claimFirstEpoch`): one insert, failed
 * with `fenced` unless every claim inserted its row.
 */
export const firstClaims: MergeKind<{ type: string; id: string }> = {
  rank: mergeRank.fence,
  combine: (claims) => [
    { sql: 'INSERT IGNORE INTO entity_epochs (entity_type, entity_id, epoch) VALUES ?;', params: [claims.map((c) => [c.type, c.id, 1])] },
    { sql: `IF ROW_COUNT() <> ${claims.length} THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '${fencedSignal}'; END IF;` },
  ],
};

/** An outbox row (stores/events/outbox): its subject and its payload's JSON text. */
export interface OutboxRow {
  subject: string;
  payload: string;
}

/**
 * Outbox rows in one insert, in the parts' order: ids follow that order, and a batch never
 * holds two parts of one entity, so each entity's events keep their commit order.
 */
export const outboxRows: MergeKind<OutboxRow> = {
  rank: mergeRank.outbox,
  combine: (rows) => [{ sql: 'INSERT INTO outbox (subject, payload) VALUES ?;', params: [rows.map((r) => [r.subject, r.payload])] }],
};
