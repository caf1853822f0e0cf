// ask/tell from any process. Concurrent asks to one entity from this process are
// coalesced into one NATS message and one reply; deadlines are enforced, "nobody owns
// the shard right now" is retried with backoff inside the deadline, and the number of
// asks in flight is bounded.
import type { NatsConnection } from 'nats';
import { entityIdPattern, entitySubject, shardOf, typeNamePattern } from './addressing.ts';
import {
  ClusterError, InvalidError, OverloadedError, TimeoutError, UnavailableError, fromWireError, toWireError,
} from './errors.ts';
import { JsonText, asTexts, decodeReply, encode, type WireOutcome, type WireReply, type WireRequest } from './wire.ts';
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

interface Address { subject: string; type: string; id: string; shard: number }

/** What JSON over the wire would deliver: a deep copy, with undefined fields dropped. */
function sameAsWire<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** A value's JSON text; an absent value (which JSON drops) reads as null. */
function jsonText(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}

/** A local reply as the wire would deliver it, each value kept as its JSON text until asked for. */
function copyOfLocalReply(reply: WireReply): WireReply {
  if ('e' in reply) return sameAsWire(reply);
  // Errors copied too: their data may be the entity's own objects.
  return { r: asTexts(reply.r).map((o) => ('e' in o ? sameAsWire(o) : o)) };
}

/**
 * An ask whose deadline passed before any attempt of it was sent (it waited behind its
 * entity's requests in flight): certainly not applied, so not a timeout, which would tell
 * the caller the outcome is unknown (the gateway then holds an idempotency key for a minute).
 */
function notSentInTime(): OverloadedError {
  return new OverloadedError('its entity was busy until the deadline; the ask was not sent');
}

/**
 * One ask waiting for its answer. A class rather than an object with two arrow functions:
 * a process run through tsx (the benches, the tools) names every such function as it is
 * made, and that was about a microsecond per ask, 6% of the calling process's busy time in
 * the actor flash sale. (The app itself runs compiled without it: app/build.ts.)
 */
class Pending {
  attempts = 0;
  /**
   * Why an earlier attempt failed: what the caller is told if the deadline passes before a
   * resend. Once an attempt may have been applied (a timeout), it stays: a later attempt
   * that could not be sent does not make the first one unsent.
   */
  lastError?: ClusterError;

  /** Records why an attempt failed; an outcome already unknown stays unknown. */
  failed(err: ClusterError): void {
    if (!(this.lastError instanceof TimeoutError) || err instanceof TimeoutError) this.lastError = err;
  }

  /** What to tell the caller on giving up after `err`: "timeout" if any attempt may have been applied. */
  givingUp(err: ClusterError): ClusterError {
    return this.lastError instanceof TimeoutError ? this.lastError : err;
  }

  constructor(
    readonly msg: unknown,
    /**
     * When the caller gives up, on performance.now(): a wall clock stepped back while the
     * ask waited kept it waiting for the size of the step. The wall-clock deadline the
     * node reads (WireRequest.d) is made from it when a request is sent.
     */
    readonly expiresAt: number,
    readonly idempotent: boolean,
    readonly retry: boolean,
    /** The caller wants the answer's JSON text (askJson). */
    readonly json: boolean,
    /** Called once the ask is answered either way (the client's in-flight count). */
    private readonly done: () => void,
    private readonly fulfil: (value: unknown) => void,
    private readonly refuse: (err: unknown) => void,
  ) {}

  resolve(value: unknown): void {
    this.done();
    this.fulfil(value);
  }

  reject(err: unknown): void {
    this.done();
    this.refuse(err);
  }
}

interface EntityQueue {
  subject: string;
  type: string;
  id: string;
  shard: number;
  waiting: Pending[];
  inFlight: number;
  /** How the requests in flight travel; all of one queue's travel the same way at once. */
  route: Route;
}

type Route = 'local' | 'nats';

/** A node in this same process (ClusterNode.localDelivery). */
export interface LocalDelivery {
  /** Whether it serves `type` on `shard` now. */
  serves(type: string, shard: number): boolean;
  /** Delivers to it: the reply, or undefined when it does not serve the shard after all. */
  deliver(type: string, id: string, shard: number, request: WireRequest): Promise<WireReply> | undefined;
}

export interface ClientStats {
  inFlight: number;
  requests: number;
  /** Requests delivered to a node in this process instead of over NATS (counted in `requests` too). */
  local: number;
  asks: number;
  retries: number;
  shed: number;
}

export class ClusterClient {
  private readonly queues = new Map<string, EntityQueue>();
  private inFlight = 0;
  private readonly askDone = (): void => {
    this.inFlight--;
  };
  private readonly counters = { requests: 0, local: 0, asks: 0, retries: 0, shed: 0 };
  private local: LocalDelivery | undefined;
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
    return this.submit<R>(type, id, msg, options, false);
  }

  /**
   * As `ask`, answering the reply's JSON text: for a caller that forwards it as it is (the
   * gateway's HTTP answer). An answer delivered in this process is then encoded once,
   * instead of copied (encoded and parsed) and encoded again by the caller.
   */
  askJson(type: string, id: string, msg: unknown, options: AskOptions = {}): Promise<string> {
    return this.submit<string>(type, id, msg, options, true);
  }

  private submit<R>(type: string, id: string, msg: unknown, options: AskOptions, json: boolean): Promise<R> {
    const address = this.addressOf(type, id);
    if (address instanceof ClusterError) return Promise.reject(address);
    if (this.inFlight >= this.opts.inFlightLimit) {
      this.counters.shed++;
      return Promise.reject(new OverloadedError(`more than ${this.opts.inFlightLimit} asks in flight`));
    }
    this.inFlight++;
    this.counters.asks++;
    return new Promise<R>((resolve, reject) => {
      this.enqueue(address, new Pending(
        msg,
        performance.now() + (options.deadlineMs ?? this.opts.deadlineMs),
        options.idempotent ?? false,
        options.retry ?? true,
        json,
        this.askDone,
        resolve as (value: unknown) => void,
        reject,
      ));
    });
  }

  /**
   * One-way message; no reply, no retry, delivered at most once. Always over NATS: with
   * local delivery it is not ordered with asks to the same entity.
   */
  tell(type: string, id: string, msg: unknown): void {
    const address = this.addressOf(type, id);
    if (address instanceof ClusterError) throw address;
    this.nc.publish(address.subject, encode({ d: Date.now() + this.opts.deadlineMs, m: [msg] }));
  }

  /**
   * Lets asks to the shards a node in this process serves skip NATS (ROLE=all: the gateway's
   * asks, and one entity's asks of another). Everything else about an ask stays: coalescing,
   * the in-flight bounds, deadlines, retries. Undefined turns it off.
   */
  deliverLocally(local: LocalDelivery | undefined): void {
    this.local = local;
  }

  stats(): ClientStats {
    return { inFlight: this.inFlight, ...this.counters };
  }

  private addressOf(type: string, id: string): Address | ClusterError {
    if (!typeNamePattern.test(type)) return new InvalidError(`entity type "${type}" is not a valid name`);
    if (!entityIdPattern.test(id)) return new InvalidError(`entity id must match ${entityIdPattern}`, { data: { id } });
    const shard = shardOf(id, this.opts.shards);
    return { subject: entitySubject(this.opts.cluster, type, shard, id), type, id, shard };
  }

  private enqueue(address: Address, pending: Pending): void {
    let queue = this.queues.get(address.subject);
    if (!queue) {
      queue = { subject: address.subject, type: address.type, id: address.id, shard: address.shard, waiting: [], inFlight: 0, route: 'nats' };
      this.queues.set(address.subject, queue);
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
      const route: Route = this.local?.serves(queue.type, queue.shard) ? 'local' : 'nats';
      // One way at a time per entity, so its requests reach its mailbox in the order they
      // were sent: a switch (the shard moved, or its lease lapsed) waits for those in flight.
      if (queue.inFlight > 0 && queue.route !== route) break;
      queue.route = route;
      this.send(queue, queue.waiting.splice(0, this.batchLength(queue.waiting)), route);
    }
    if (queue.inFlight === 0 && queue.waiting.length === 0) this.queues.delete(queue.subject);
  }

  /**
   * How many of the waiting asks (in order) travel together: at most maxBatch, and only
   * while their deadlines are alike, since a request waits as long as its latest ask may
   * and the node starts nothing past the earliest.
   */
  private batchLength(waiting: Pending[]): number {
    const now = performance.now();
    const first = waiting[0]!.expiresAt - now;
    let n = 1;
    while (n < waiting.length && n < this.maxBatch) {
      const left = waiting[n]!.expiresAt - now;
      if (left > first * 2 || left * 2 < first) break;
      n++;
    }
    return n;
  }

  private send(queue: EntityQueue, batch: Pending[], route: Route): void {
    const now = performance.now();
    let expiresAt = Infinity;
    let allIdempotent = true;
    for (const p of batch) {
      if (p.expiresAt < expiresAt) expiresAt = p.expiresAt;
      if (!p.idempotent) allIdempotent = false;
    }
    const remaining = expiresAt - now;
    if (remaining <= 0) {
      for (const p of batch) p.reject(p.lastError ?? notSentInTime());
      return;
    }
    // The node reads `d` on its own clock: clocks kept in step (NTP) are assumed, see
    // docs/failure-behaviour.md. Whole milliseconds, as before expiresAt was monotonic.
    const request: WireRequest = { d: Date.now() + Math.floor(remaining), m: batch.map((p) => p.msg), f: 1 };
    const timeout = allIdempotent ? Math.min(remaining, this.attemptTimeoutMs) : remaining;
    // A copy of what goes in and comes out, as the wire would make: the entity must not
    // hold the caller's objects, nor the caller the entity's state.
    const local = route === 'local' ? this.local?.deliver(queue.type, queue.id, queue.shard, sameAsWire(request)) : undefined;
    if (local) {
      this.sendLocal(queue, batch, local, timeout);
      return;
    }
    queue.route = 'nats';
    if (!this.connection.up) {
      // Not sent, so certainly not applied: retried with backoff while the connection is
      // down, and settled as unavailable before the deadline if it does not come back.
      this.failBatch(queue, batch, new UnavailableError('the NATS connection is down; not sent'), true);
      return;
    }
    queue.inFlight++;
    this.counters.requests++;
    this.requester
      .request(queue.subject, encode(request), timeout)
      .then(
        (reply) => this.answered(queue, batch, decodeReply(reply.data, batch.length)),
        (err: unknown) => {
          const reason = err instanceof RequestFailed ? err.reason : 'not_sent';
          if (reason === 'no_responders') {
            this.failBatch(queue, batch, new UnavailableError('no node serves this entity right now'), true);
          } else if (reason === 'timeout') {
            this.failBatch(queue, batch, new TimeoutError('no reply before the deadline'), false);
          } else if (reason === 'closed') {
            // Sent, then the connection closed before a reply: the node may have acted on it.
            this.failBatch(queue, batch, new TimeoutError('the connection closed before a reply; the outcome is unknown'), false);
          } else {
            this.failBatch(queue, batch, new UnavailableError('the NATS connection is closed; not sent'), true);
          }
        },
      )
      .finally(() => this.sent(queue));
  }

  /** Waits for a local delivery as for a NATS request: no longer than `timeoutMs`. */
  private sendLocal(queue: EntityQueue, batch: Pending[], reply: Promise<WireReply>, timeoutMs: number): void {
    queue.inFlight++;
    this.counters.requests++;
    this.counters.local++;
    let done = false;
    const finish = (outcome: WireReply | TimeoutError) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        if (outcome instanceof TimeoutError) this.failBatch(queue, batch, outcome, false);
        else this.answered(queue, batch, outcome);
      } finally {
        this.sent(queue);
      }
    };
    // (setTimeout fires at once past 2^31 - 1 ms.)
    const timer = setTimeout(() => finish(new TimeoutError('no reply before the deadline')), Math.min(timeoutMs, 2 ** 31 - 1));
    reply
      // A reply JSON cannot carry fails as the node's encoding of it would.
      .then((r) => copyOfLocalReply(r))
      .catch((err: unknown): WireReply => ({ e: toWireError(err) }))
      .then(finish);
  }

  private answered(queue: EntityQueue, batch: Pending[], reply: WireReply): void {
    // A whole-request timeout from the node may come after the batch started.
    if ('e' in reply) this.failBatch(queue, batch, fromWireError(reply.e), reply.e.code !== 'timeout');
    else this.settle(queue, batch, reply.r);
  }

  /** A request of the queue is answered (or failed): the next waiting asks may go. */
  private sent(queue: EntityQueue): void {
    queue.inFlight--;
    if (queue.waiting.length > 0) this.schedule(queue);
    else if (queue.inFlight === 0) this.queues.delete(queue.subject);
  }

  private expireWaiting(): void {
    const now = performance.now();
    for (const queue of this.queues.values()) {
      if (queue.waiting.length === 0 || !queue.waiting.some((p) => p.expiresAt <= now)) continue;
      const expired = queue.waiting.filter((p) => p.expiresAt <= now);
      queue.waiting = queue.waiting.filter((p) => p.expiresAt > now);
      for (const p of expired) p.reject(p.lastError ?? notSentInTime());
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
        const v = outcome?.v;
        if (v instanceof JsonText) p.resolve(p.json ? v.text : JSON.parse(v.text));
        else p.resolve(p.json ? jsonText(v) : v);
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
      else p.reject(p.givingUp(err));
    }
  }

  private retryOrFail(queue: EntityQueue, p: Pending, err: ClusterError): void {
    if (!p.retry) return p.reject(p.givingUp(err));
    p.attempts++;
    p.failed(err);
    const backoff = Math.min(500, 5 * 2 ** p.attempts) * (0.5 + Math.random());
    // Give up with the real cause while there is still time to say so: an earlier attempt
    // that may have been applied outweighs later ones that were not sent ("unavailable"
    // would tell the caller nothing happened, and a charge may have).
    if (performance.now() + backoff >= p.expiresAt) return p.reject(p.lastError!);
    this.counters.retries++;
    setTimeout(() => this.enqueue(queue, p), backoff);
  }
}
