// Published outbox rows are deleted once they are older than the retention. A row is only
// the means of getting an event to JetStream exactly once: after the relay marked it
// published (and the stream's duplicate window, two minutes, has passed) nothing reads it
// again, yet every order writes two or three and nothing deleted them, so the table grew
// with every sale for ever. Rows not yet published are never touched, however old.
import type { Logger } from 'pino';
import type { Singleton } from '../../cluster/index.ts';
import { purgeInChunks, retentionSingleton, type Pool } from '../mysql/index.ts';

export interface OutboxRetentionOptions {
  pool: Pool;
  /** How long a published row is kept (the store's own clock decides). */
  keepMs: number;
  log: Logger;
  intervalMs?: number;
  /** Rows per DELETE and DELETEs per round (purgeInChunks' defaults: 5,000 and 20). */
  chunk?: number;
  maxChunks?: number;
}

export class OutboxRetention {
  /** Rows deleted since the process started (the `shop_outbox_purged_total` counter). */
  purged = 0;

  constructor(private readonly opts: OutboxRetentionOptions) {}

  /** Deletes published rows older than the retention, a chunk at a time; returns how many. */
  async purgeOnce(): Promise<number> {
    // A range of outbox_pending (published_at, id); NULL (not yet published) is never below
    // a time. Under REPEATABLE READ the range's gap lock reached the unpublished rows' end of
    // the index, and every writer's new outbox row waited for the DELETE (purgeInChunks).
    const deleted = await purgeInChunks(this.opts.pool, {
      from: 'outbox', where: 'published_at < NOW(3) - INTERVAL ? MICROSECOND', params: [this.opts.keepMs * 1000],
      orderBy: 'published_at', chunk: this.opts.chunk, maxChunks: this.opts.maxChunks,
    });
    this.purged += deleted;
    return deleted;
  }

  /** A cluster singleton running `purgeOnce` every interval (default a minute). */
  singleton(): Singleton {
    return retentionSingleton('outbox-retention', this.opts.intervalMs ?? 60_000, this.opts.log, () => this.purgeOnce());
  }
}
