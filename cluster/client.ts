// ask/tell from any process. Concurrent asks to one entity from this process are
// coalesced into one NATS message and one reply; deadlines are enforced, "nobody owns
// the shard right now" is retried with backoff inside the deadline, and the number of
// asks in flight is bounded.
import type { NatsConnection } from 'nats';
import { entityIdPattern, entitySubject, shardOf, typeNamePattern } from './addressing.ts';
import {
  ClusterError, InvalidError, OverloadedError, TimeoutError, UnavailableError, fromWireError,
} from './errors.ts';
import { decodeReply, encode, type WireOutcome } from './wire.ts';
import { RequestFailed, Requester } from './requester.ts';
import { ConnectionState } from './connection-state.ts';

export interface AskOptions {
  /** Milliseconds from now until the caller gives up (default: the client's). */
  deadlineMs?: number;
  /**
   * The message can be applied twice without harm (it carries its own id). Only such
   * messages are sent again after a timeout, when the first attempt may have landed.
   */
  idempotent?: boolean;
  /** Set false to see the first retryable failure instead of retrying (tests, tools). */
  retry?: boolean;
}

export interface ClientOptions {
  cluster: string;
  shards: number;
  deadlineMs: number;
  /** Asks this process may have waiting or in flight before new ones fail as overloaded. */
  inFlightLimit: number;
  /** Most messages one NATS request carries. */
  maxBatch?: number;
  /** NATS requests in flight per entity; more asks wait and travel together in the next. */
  maxRequestsPerEntity?: number;
  /** Per-attempt timeout for idempotent batches, so a request lost with a dead node is retried. */
  attemptTimeoutMs?: number;
}

interface Pending {
  msg: unknown;
  deadline: number;
  idempotent: boolean;
  retry: boolean;
  attempts: number;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

interface EntityQueue {
  subject: string;
  waiting: Pending[];
  inFlight: number;
}

export interface ClientStats {
  inFlight: number;
  requests: number;
  asks: number;
  retries: number;
  shed: number;
}

export class ClusterClient {
  private readonly queues = new Map<string, EntityQueue>();
  private inFlight = 0;
  private readonly counters = { requests: 0, asks: 0, retries: 0, shed: 0 };
  private readonly maxBatch: number;
  private readonly maxRequestsPerEntity: number;
  private readonly attemptTimeoutMs: number;
  private readonly requester: Requester;
  /** Queues with asks waiting, sent together at the end of this turn of the event loop. */
  private readonly dirty = new Set<EntityQueue>();
  private flushScheduled = false;
  private readonly connection: ConnectionState;

  constructor(private readonly nc: NatsConnection, private readonly opts: ClientOptions) {
    this.requester = new Requester(nc);
    this.connection = ConnectionState.of(nc);
    this.maxBatch = opts.maxBatch ?? 256;
    this.maxRequestsPerEntity = opts.maxRequestsPerEntity ?? 4;
    this.attemptTimeoutMs = opts.attemptTimeoutMs ?? 2000;
    // An ask waiting behind its entity's requests in flight must still settle by its own
    // deadline, which can be earlier than theirs.
    const sweep = setInterval(() => this.expireWaiting(), 50);
    sweep.unref();
    void nc.closed().then(() => clearInterval(sweep));
  }

  /**
   * Sends `msg` to entity `type:id` and resolves with its reply; rejects with a
   * ClusterError subclass (RejectedError for business refusals).
   *
   * @example
   * const n = await client.ask<number>('counter', 'c1', { add: 1 }, { deadlineMs: 2000 });
   */
  ask<R>(type: string, id: string, msg: unknown, options: AskOptions = {}): Promise<R> {
    const subject = this.subjectFor(type, id);
    if (subject instanceof ClusterError) return Promise.reject(subject);
    if (this.inFlight >= this.opts.inFlightLimit) {
      this.counters.shed++;
      return Promise.reject(new OverloadedError(`more than ${this.opts.inFlightLimit} asks in flight`));
    }
    this.inFlight++;
    this.counters.asks++;
    return new Promise<R>((resolve, reject) => {
      this.enqueue(subject, {
        msg,
        deadline: Date.now() + (options.deadlineMs ?? this.opts.deadlineMs),
        idempotent: options.idempotent ?? false,
        retry: options.retry ?? true,
        attempts: 0,
        resolve: (v) => { this.inFlight--; resolve(v as R); },
        reject: (e) => { this.inFlight--; reject(e); },
      });
    });
  }

  /** One-way message; no reply, no retry, delivered at most once. */
  tell(type: string, id: string, msg: unknown): void {
    const subject = this.subjectFor(type, id);
    if (subject instanceof ClusterError) throw subject;
    this.nc.publish(subject, encode({ d: Date.now() + this.opts.deadlineMs, m: [msg] }));
  }

  stats(): ClientStats {
    return { inFlight: this.inFlight, ...this.counters };
  }

  private subjectFor(type: string, id: string): string | ClusterError {
    if (!typeNamePattern.test(type)) return new InvalidError(`entity type "${type}" is not a valid name`);
    if (!entityIdPattern.test(id)) return new InvalidError(`entity id must match ${entityIdPattern}`, { data: { id } });
    return entitySubject(this.opts.cluster, type, shardOf(id, this.opts.shards), id);
  }

  private enqueue(subject: string, pending: Pending): void {
    let queue = this.queues.get(subject);
    if (!queue) {
      queue = { subject, waiting: [], inFlight: 0 };
      this.queues.set(subject, queue);
    }
    queue.waiting.push(pending);
    this.schedule(queue);
  }

  /**
   * Waits for the end of this turn of the event loop so everything asked in it travels
   * together: per entity in one message, and all entities' messages in one socket write.
   */
  private schedule(queue: EntityQueue): void {
    this.dirty.add(queue);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const queues = [...this.dirty];
      this.dirty.clear();
      for (const q of queues) this.flush(q);
    });
  }

  private flush(queue: EntityQueue): void {
    while (queue.inFlight < this.maxRequestsPerEntity && queue.waiting.length > 0) {
      this.send(queue, queue.waiting.splice(0, this.batchLength(queue.waiting)));
    }
    if (queue.inFlight === 0 && queue.waiting.length === 0) this.queues.delete(queue.subject);
  }

  /**
   * How many of the waiting asks (in order) travel together: at most maxBatch, and only
   * while their deadlines are alike, since a request waits as long as its latest ask may
   * and the node starts nothing past the earliest.
   */
  private batchLength(waiting: Pending[]): number {
    const now = Date.now();
    const first = waiting[0]!.deadline - now;
    let n = 1;
    while (n < waiting.length && n < this.maxBatch) {
      const left = waiting[n]!.deadline - now;
      if (left > first * 2 || left * 2 < first) break;
      n++;
    }
    return n;
  }

  private send(queue: EntityQueue, batch: Pending[]): void {
    const now = Date.now();
    let deadline = Infinity;
    let allIdempotent = true;
    for (const p of batch) {
      if (p.deadline < deadline) deadline = p.deadline;
      if (!p.idempotent) allIdempotent = false;
    }
    const remaining = deadline - now;
    if (remaining <= 0) {
      for (const p of batch) p.reject(new TimeoutError('deadline passed before the ask was sent'));
      return;
    }
    if (!this.connection.up) {
      // Not sent, so certainly not applied: retried with backoff while the connection is
      // down, and settled as unavailable before the deadline if it does not come back.
      this.failBatch(queue, batch, new UnavailableError('the NATS connection is down; not sent'), true);
      return;
    }
    const timeout = allIdempotent ? Math.min(remaining, this.attemptTimeoutMs) : remaining;
    queue.inFlight++;
    this.counters.requests++;
    this.requester
      .request(queue.subject, encode({ d: deadline, m: batch.map((p) => p.msg) }), timeout)
      .then(
        (reply) => {
          const decoded = decodeReply(reply.data, batch.length);
          // A whole-request timeout from the node may come after the batch started.
          if ('e' in decoded) this.failBatch(queue, batch, fromWireError(decoded.e), decoded.e.code !== 'timeout');
          else this.settle(queue, batch, decoded.r);
        },
        (err: unknown) => {
          const reason = err instanceof RequestFailed ? err.reason : 'closed';
          if (reason === 'no_responders') {
            this.failBatch(queue, batch, new UnavailableError('no node serves this entity right now'), true);
          } else if (reason === 'timeout') {
            this.failBatch(queue, batch, new TimeoutError('no reply before the deadline'), false);
          } else {
            this.failBatch(queue, batch, new UnavailableError('request failed: connection closed'), false);
          }
        },
      )
      .finally(() => {
        queue.inFlight--;
        if (queue.waiting.length > 0) this.schedule(queue);
        else if (queue.inFlight === 0) this.queues.delete(queue.subject);
      });
  }

  private expireWaiting(): void {
    const now = Date.now();
    for (const queue of this.queues.values()) {
      if (queue.waiting.length === 0 || !queue.waiting.some((p) => p.deadline <= now)) continue;
      const expired = queue.waiting.filter((p) => p.deadline <= now);
      queue.waiting = queue.waiting.filter((p) => p.deadline > now);
      for (const p of expired) p.reject(new TimeoutError('deadline passed before the ask was sent'));
      if (queue.inFlight === 0 && queue.waiting.length === 0) this.queues.delete(queue.subject);
    }
  }

  private settle(queue: EntityQueue, batch: Pending[], outcomes: WireOutcome[]): void {
    for (let i = 0; i < batch.length; i++) {
      const p = batch[i]!;
      const outcome = outcomes[i];
      if (outcome && 'e' in outcome) {
        const err = fromWireError(outcome.e);
        // `unavailable` means the entity did not apply it (restarting, fenced): safe to resend.
        if (err instanceof UnavailableError) this.retryOrFail(queue, p, err);
        else p.reject(err);
      } else {
        p.resolve(outcome?.v);
      }
    }
  }

  /**
   * `notDelivered` is true when the node certainly did not act on the batch (no responders,
   * or an error for the whole request); otherwise only idempotent messages are resent.
   */
  private failBatch(queue: EntityQueue, batch: Pending[], err: ClusterError, notDelivered: boolean): void {
    for (const p of batch) {
      if (err.retryable && !(err instanceof OverloadedError) && (notDelivered || p.idempotent)) this.retryOrFail(queue, p, err);
      else p.reject(err);
    }
  }

  private retryOrFail(queue: EntityQueue, p: Pending, err: ClusterError): void {
    if (!p.retry) return p.reject(err);
    p.attempts++;
    const backoff = Math.min(500, 5 * 2 ** p.attempts) * (0.5 + Math.random());
    // Give up with the real cause while there is still time to say so.
    if (Date.now() + backoff >= p.deadline) return p.reject(err);
    this.counters.retries++;
    setTimeout(() => this.enqueue(queue.subject, p), backoff);
  }
}
