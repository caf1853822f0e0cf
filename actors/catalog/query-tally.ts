// The searches shoppers make, counted on every node for query completion: an ordered
// JetStream consumer of the SEARCH stream that starts a day back and then follows it.
// Only queries that found something count, normalised (lower-case, trimmed, spaces
// collapsed); completions come from a sorted array rebuilt at most every two seconds.
import { DeliverPolicy, type NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { ensureStream, searchStream } from '../../stores/events/index.ts';
import { normalizeText } from '../../stores/search/index.ts';
import { lowerBound } from '../../stores/search/suggest.ts';

const dayMs = 24 * 3600_000;
/** Distinct queries kept at most; past it, queries seen once are forgotten. */
const maxQueries = 50_000;

export class QueryTally {
  private readonly counts = new Map<string, number>();
  private sorted: string[] = [];
  private dirty = false;
  private builtAt = 0;

  /** Counts one search (what the SEARCH stream carries). */
  record(query: string, resultCount: number): void {
    const q = normalizeText(query);
    if (q.length < 2 || q.length > 100 || resultCount <= 0) return;
    this.counts.set(q, (this.counts.get(q) ?? 0) + 1);
    this.dirty = true;
    if (this.counts.size > maxQueries) {
      for (const [k, n] of this.counts) if (n <= 1) this.counts.delete(k);
    }
  }

  /** The most searched queries starting with `prefix`, most searched first. */
  complete(prefix: string, limit: number): string[] {
    const now = Date.now();
    if (this.dirty && now - this.builtAt >= 2000) {
      this.sorted = [...this.counts.keys()].sort();
      this.dirty = false;
      this.builtAt = now;
    }
    const p = normalizeText(prefix);
    const matches: string[] = [];
    for (let i = lowerBound(this.sorted, p); i < this.sorted.length && this.sorted[i]!.startsWith(p) && matches.length < 500; i++) {
      matches.push(this.sorted[i]!);
    }
    return matches
      .filter((q) => this.counts.has(q))
      .sort((a, b) => this.counts.get(b)! - this.counts.get(a)! || (a < b ? -1 : 1))
      .slice(0, limit);
  }
}

/** Feeds `tally` from the SEARCH stream until stopped. */
export async function followSearches(deps: { nc: NatsConnection; cluster: string; tally: QueryTally; log: Logger }): Promise<{ stop(): Promise<void> }> {
  const stream = searchStream(deps.cluster);
  await ensureStream(await deps.nc.jetstreamManager(), stream);
  const consumer = await deps.nc.jetstream().consumers.get(stream.name, {
    deliver_policy: DeliverPolicy.StartTime,
    opt_start_time: new Date(Date.now() - dayMs).toISOString(),
  });
  const messages = await consumer.consume({
    callback: (m) => {
      try {
        const e = m.json<{ query?: unknown; resultCount?: unknown }>();
        if (typeof e.query === 'string' && typeof e.resultCount === 'number') deps.tally.record(e.query, e.resultCount);
      } catch {
        deps.log.debug('a search event that is not JSON was skipped');
      }
    },
  });
  return { stop: () => messages.close().then(() => undefined) };
}
