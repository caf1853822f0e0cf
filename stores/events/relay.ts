// Relays outbox rows to JetStream in id order, each with Nats-Msg-Id = its outbox id, and
// marks them published afterwards. A crash between the two republishes on restart, and
// the stream's duplicate window drops the copy: no event lost, none doubled.
//
// Rows go in windows of up to `inFlight` publishes sent together and acknowledged together,
// rather than one at a time: one at a time, the relay fell behind a flash sale (about 500
// events a second against 800 written; 12,000 behind after 18 s), and every event cost
// its own socket write. A window never holds two events of one entity (the subject's last
// token: a SKU or an order id), so each entity's events are stored in the order they were
// committed even when a publish fails mid-window: only events of different entities can
// then be stored out of id order, and no consumer reads order across entities.
import type { Logger } from 'pino';
import type { Pool } from '../mysql/index.ts';
import type { StreamPublish } from './stream-publish.ts';

export interface RelayOptions {
  batchSize?: number;
  /** Publishes sent together and awaited together (default 128). */
  inFlight?: number;
  /** How long to wait for new rows when there were none and nobody kicked. */
  idleMs?: number;
}

type Row = { id: number | string; subject: string; payload: string | object };

const encoder = new TextEncoder();

export class OutboxRelay {
  private running = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  published = 0;

  constructor(private readonly pool: Pool, private readonly publish: StreamPublish, private readonly log: Logger, private readonly opts: RelayOptions = {}) {}

  start(): { stop(): Promise<void> } {
    this.running = true;
    this.loop = this.run();
    return { stop: () => this.stop() };
  }

  /** New rows were committed: relay them now rather than at the next poll. */
  kick(): void {
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.kick();
    await this.loop;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      try {
        const relayed = await this.relayOnce();
        if (failures > 0) this.log.info({ after: failures }, 'outbox relay recovered');
        failures = 0;
        if (relayed < (this.opts.batchSize ?? 500)) await this.sleep(this.opts.idleMs ?? 200);
      } catch (err) {
        // Rows stay in order, so a row that cannot be published holds the rest back: say so
        // once per streak, and back off rather than spin on it.
        failures++;
        if (failures === 1 || failures % 60 === 0) this.log.error({ err: String(err), failures }, 'outbox relay cannot publish; retrying with backoff');
        await this.sleep(Math.min(5000, 100 * 2 ** Math.min(failures, 6)));
      }
    }
  }

  /** Publishes one page of pending rows; returns how many. */
  async relayOnce(): Promise<number> {
    const [rows] = await this.pool.query(
      'SELECT id, subject, payload FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT ?',
      [this.opts.batchSize ?? 500],
    );
    const pending = rows as Row[];
    if (pending.length === 0) return 0;
    const done: (number | string)[] = [];
    try {
      for (let next = 0; next < pending.length;) {
        const window = windowFrom(pending, next, this.opts.inFlight ?? 128);
        next += window.length;
        const outcomes = await Promise.allSettled(window.map((r) => this.publish(r.subject, encoder.encode(typeof r.payload === 'string' ? r.payload : JSON.stringify(r.payload)), String(r.id))));
        // Marked only up to the first failure: the rest go again and are dropped as duplicates
        // if they were stored.
        for (let i = 0; i < window.length; i++) {
          const outcome = outcomes[i]!;
          if (outcome.status === 'rejected') throw outcome.reason;
          done.push(window[i]!.id);
        }
      }
    } finally {
      if (done.length > 0) await this.pool.query('UPDATE outbox SET published_at = NOW(3) WHERE id IN (?)', [done]);
      this.published += done.length;
    }
    return done.length;
  }
}

/** The entity an event belongs to: its subject's last token (a SKU, an order id). */
function entityOf(subject: string): string {
  return subject.slice(subject.lastIndexOf('.') + 1);
}

/** Rows from `start`, up to `max`, stopping before a second event of an entity already in. */
function windowFrom(rows: Row[], start: number, max: number): Row[] {
  const entities = new Set<string>();
  let end = start;
  while (end < rows.length && end - start < max) {
    const entity = entityOf(rows[end]!.subject);
    if (entities.has(entity)) break;
    entities.add(entity);
    end++;
  }
  return rows.slice(start, end);
}
