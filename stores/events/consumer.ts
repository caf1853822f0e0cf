// Consumes a JetStream stream in small batches, one batch at a time and in stream order:
// messages that arrive together are handed over together (so a projection can coalesce
// its writes), a durable consumer acks after the batch is handled, a failed batch is tried
// again in place after a pause (events stay in the stream's order), and an event its own
// data makes fail on every try is set aside so the stream does not stop behind it. Without a durable name it is an ordered consumer that replays
// the whole stream from the start (a rebuildable in-memory projection).
import { AckPolicy, DeliverPolicy, nanos, type JetStreamClient, type JetStreamManager, type JsMsg } from 'nats';
import type { Logger } from 'pino';

export interface BatchConsumerOptions {
  js: JetStreamClient;
  jsm: JetStreamManager;
  stream: string;
  /** Durable consumer name (shared progress, survives restarts); absent: ordered replay from the start. */
  durable?: string;
  filterSubject?: string;
  maxBatch?: number;
  /** How long JetStream waits for an acknowledgement before redelivering (default 30 s). */
  ackWaitMs?: number;
  /**
   * How long a batch smaller than `maxBatch` waits for more messages before it is handled
   * (default 0: at once). A projection whose cost is per batch (a script call, a set of
   * marks) lingers, so that a steady stream gives a few large batches rather than many of
   * two or three. Only a consumer that has caught up with the stream waits, and never once
   * `maxBatch` messages are queued: a backlog goes at full speed.
   */
  lingerMs?: number;
  log: Logger;
  handle(batch: JsMsg[]): Promise<void>;
}

export interface RunningConsumer {
  /** Resolves once everything that was in the stream when it started has been handled. */
  caughtUp: Promise<void>;
  stop(): Promise<void>;
}

/** A consumer running in this process, as the ops port reports it (lag, caught up). */
export interface ConsumerProbe {
  stream: string;
  /** The durable name, or "ordered" for a replaying consumer. */
  consumer: string;
  caughtUp(): boolean;
  /** Messages in the stream this consumer has not been handed yet. */
  lag(): Promise<number>;
}

const probes = new Set<ConsumerProbe>();

/** Every consumer running in this process now. */
export function runningConsumers(): ConsumerProbe[] {
  return [...probes];
}

/** Tries of an event refused for its own data before it is set aside. */
export const poisonAfterTries = 3;

/**
 * Whether an error comes from the event's own data, so that no retry can change it:
 * MariaDB's SQLSTATE classes 22 (data exception: a value too long, an invalid JSON text)
 * and 23 (integrity constraint: a CHECK), or one of `events` that is not JSON. Anything else
 * (a store down, a timeout, a bug fixed by the next release) is retried for as long as it
 * takes.
 */
export function causedByTheEvent(err: unknown, events: JsMsg[] = []): boolean {
  const state = (err as { sqlState?: unknown } | null)?.sqlState;
  if (typeof state === 'string' && /^2[23]/.test(state)) return true;
  // Every consumer's events are JSON: one that is not fails its handler's parse for ever (a
  // SyntaxError, or nats.js's BAD_JSON from `m.json()`). It counts only when one of the
  // events itself does not parse, not a stored value the handler read.
  const parseFailure = err instanceof SyntaxError || (err as { code?: unknown } | null)?.code === 'BAD_JSON';
  return parseFailure && events.some((m) => !parsesAsJson(m));
}

function parsesAsJson(m: JsMsg): boolean {
  try {
    JSON.parse(m.string());
    return true;
  } catch {
    return false;
  }
}

export async function consumeBatches(opts: BatchConsumerOptions): Promise<RunningConsumer> {
  const maxBatch = opts.maxBatch ?? 500;
  if (opts.durable) {
    const config = {
      durable_name: opts.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(opts.ackWaitMs ?? 30_000),
      max_ack_pending: 20_000,
      ...(opts.filterSubject ? { filter_subject: opts.filterSubject } : {}),
    };
    try {
      await opts.jsm.consumers.info(opts.stream, opts.durable);
    } catch {
      await opts.jsm.consumers.add(opts.stream, config);
    }
  }
  const consumer = opts.durable
    ? await opts.js.consumers.get(opts.stream, opts.durable)
    : await opts.js.consumers.get(opts.stream, opts.filterSubject ? { filterSubjects: opts.filterSubject } : {});
  const info = await consumer.info();
  const pendingAtStart = info.num_pending;
  // The consumer's own ack wait: an existing durable keeps the one it was made with.
  const ackWaitMs = opts.durable ? Math.max(1, (info.config.ack_wait ?? nanos(opts.ackWaitMs ?? 30_000)) / 1e6) : 0;
  let markCaughtUp!: () => void;
  let isCaughtUp = false;
  const caughtUp = new Promise<void>((r) => (markCaughtUp = r)).then(() => {
    isCaughtUp = true;
  });
  if (pendingAtStart === 0) markCaughtUp();
  const probe: ConsumerProbe = {
    stream: opts.stream,
    consumer: opts.durable ?? 'ordered',
    caughtUp: () => isCaughtUp,
    lag: async () => (await consumer.info()).num_pending,
  };
  probes.add(probe);

  let queue: JsMsg[] = [];
  let running: Promise<void> | undefined;
  let stopped = false;
  const lingerMs = opts.lingerMs ?? 0;
  // Ends the current wait early: set while waiting, called once a full batch is queued.
  let endLinger: (() => void) | undefined;
  const linger = () => new Promise<void>((resolve) => {
    const timer = setTimeout(done, lingerMs);
    function done() {
      clearTimeout(timer);
      endLinger = undefined;
      resolve();
    }
    endLinger = done;
  });
  // Times each message was handed over and failed alone with an error of its own data, by
  // stream sequence (this process's count: a restart gives a poison event its tries again).
  const poisonTries = new Map<number, number>();
  // A durable consumer's messages handed to this process and not yet acknowledged or set
  // aside, by stream sequence. JetStream redelivers a message not acknowledged within the
  // ack wait; one still held here is the same event, already in line, so it is kept alive
  // (`working()`, every third of the ack wait while anything is held: a failed batch is
  // retried in place, and a backlog may wait its turn longer than the ack wait), and a
  // redelivery of it is ignored.
  const held = new Map<number, { m: JsMsg; since: number }>();
  const keepAlive = opts.durable
    ? setInterval(() => {
      for (const { m } of held.values()) m.working();
    }, Math.max(100, ackWaitMs / 3))
    : undefined;
  keepAlive?.unref();
  // Messages settled here after being held a good part of the ack wait, by stream sequence
  // and when: a redelivery sent just before the settling reached the server would otherwise
  // come back as a new event, after newer ones. Kept for two ack waits.
  const settled = new Map<number, number>();
  const settle = (m: JsMsg, how: 'ack' | 'term') => {
    if (how === 'ack') m.ack();
    else m.term();
    const now = performance.now();
    const since = held.get(m.seq)?.since ?? now;
    held.delete(m.seq);
    if (now - since > ackWaitMs / 3) {
      settled.set(m.seq, now);
      // Oldest first (insertion order): stop at the first one still young.
      for (const [seq, at] of settled) {
        if (now - at <= 2 * ackWaitMs) break;
        settled.delete(seq);
      }
    }
  };
  /** Hands `batch` over (and acks it); the error, or undefined when it was applied. */
  const attempt = async (batch: JsMsg[]): Promise<{ err: unknown } | undefined> => {
    try {
      await opts.handle(batch);
      if (opts.durable) for (const m of batch) settle(m, 'ack');
      if (poisonTries.size > 0) for (const m of batch) poisonTries.delete(m.seq);
      return undefined;
    } catch (err) {
      return { err };
    }
  };
  // A failed batch is tried again in place, ahead of everything after it: events of one key
  // (a product's successive versions) are applied in the stream's order, never an older one
  // over a newer one, which projections without a version of their own would keep.
  const drain = async () => {
    while (queue.length > 0 && !stopped) {
      // Only once caught up: a consumer replaying a backlog (a restart, a new projection)
      // goes at full speed, as it did before it waited at all.
      if (lingerMs > 0 && isCaughtUp && queue.length < maxBatch) await linger();
      let batch = queue.splice(0, maxBatch);
      const last = batch[batch.length - 1]!;
      let failure = await attempt(batch);
      if (failure && batch.length > 1 && causedByTheEvent(failure.err, batch)) {
        // One event that no retry can apply (its own data is refused) failed the whole batch,
        // and would fail every batch it is tried in: the events before it go alone, in
        // order, to find it; those after it wait behind it.
        let i = 0;
        for (; i < batch.length && !stopped; i++) {
          failure = await attempt([batch[i]!]);
          if (failure) break;
        }
        batch = batch.slice(i);
        if (stopped && !failure) {
          // Stopping: what was not tried goes back in line (stop() gives it back to JetStream).
          queue = [...batch, ...queue];
          break;
        }
      }
      if (!failure) {
        if (last.info.pending === 0) markCaughtUp();
        continue;
      }
      const culprit = batch[0]!;
      const ownFault = causedByTheEvent(failure.err, [culprit]);
      if (batch.length === 1 || ownFault) {
        const tries = (poisonTries.get(culprit.seq) ?? 0) + (ownFault ? 1 : 0);
        if (tries >= poisonAfterTries) {
          // Set aside rather than retried for ever with the stream stuck behind it; its
          // subject, sequence and error are in the log for an operator to mend and republish.
          poisonTries.delete(culprit.seq);
          opts.log.error({ err: String(failure.err), stream: opts.stream, durable: opts.durable, subject: culprit.subject, seq: culprit.seq, tries },
            'event refused for its own data on every try; set aside (terminated), the events after it go on');
          if (opts.durable) settle(culprit, 'term');
          queue = [...batch.slice(1), ...queue];
          if (queue.length === 0 && culprit.info.pending === 0) markCaughtUp();
          continue;
        }
        if (tries > 0) poisonTries.set(culprit.seq, tries);
      }
      opts.log.error({ err: String(failure.err), stream: opts.stream, durable: opts.durable, size: batch.length }, 'event batch failed; trying it again in 1 s');
      queue = [...batch, ...queue];
      await new Promise((r) => setTimeout(r, 1000));
    }
    running = undefined;
  };
  const messages = await consumer.consume({
    max_messages: Math.max(maxBatch * 2, 1000),
    callback: (m) => {
      if (opts.durable) {
        if (held.has(m.seq)) return;
        if (m.redelivered && settled.has(m.seq)) return void m.ack();
        held.set(m.seq, { m, since: performance.now() });
      }
      queue.push(m);
      if (queue.length >= maxBatch) endLinger?.();
      running ??= Promise.resolve().then(drain);
    },
  });
  return {
    caughtUp,
    async stop() {
      probes.delete(probe);
      await messages.close();
      // The batch in hand finishes; one being retried (a store down) is not waited out.
      stopped = true;
      await running;
      clearInterval(keepAlive);
      // What is left goes back to JetStream at once, for whichever process consumes next.
      if (opts.durable) for (const m of queue) m.nak();
      queue = [];
    },
  };
}
