// A durable JetStream consumer whose batches go through OnceOnlyApplier: the building
// block of every analytics and recommendations projection. Run it as a cluster singleton
// (one node at a time); should two overlap during a hand-off, the seen marks still keep
// every event counted once.
import type { JsMsg, NatsConnection } from 'nats';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { consumeBatches, ensureStream, type RunningConsumer, type StreamNames } from '../../stores/events/index.ts';
import { OnceOnlyApplier, seenPrefix, type EventOps, type OnceOnlyOptions } from './once-only.ts';

/** Test hook: `mid_batch` kills the process right after the first Redis step of a batch, before its acknowledgement. */
export type AnalyticsFailpoint = 'mid_batch';

export interface OnceOnlyConsumerOptions {
  nc: NatsConnection;
  cluster: string;
  redis: Redis;
  log: Logger;
  stream: StreamNames;
  durable: string;
  /** The updates of each message (in stream order); messages that are not events give no ops. */
  toOps(batch: Array<{ seq: number; data: unknown }>): Promise<EventOps[]>;
  /** Runs after each batch is applied (also for a redelivered batch): derived outputs. */
  afterApply?(batch: Array<{ seq: number; data: unknown }>): Promise<void>;
  ackWaitMs?: number;
  maxBatch?: number;
  /**
   * How long a small batch waits for more events (default 100 ms): each batch costs a
   * script call and its marks whatever its size, and without a wait a sale's order events
   * came in batches of two or three.
   */
  lingerMs?: number;
  failpoint?: AnalyticsFailpoint;
  applier?: OnceOnlyOptions;
  /** Runs each batch inside this (consumers of several streams that share derived outputs take turns). */
  serial?<T>(f: () => Promise<T>): Promise<T>;
}

const decoder = new TextDecoder();

export async function onceOnlyConsumer(opts: OnceOnlyConsumerOptions): Promise<RunningConsumer> {
  const jsm = await opts.nc.jetstreamManager();
  await ensureStream(jsm, opts.stream);
  const info = await jsm.streams.info(opts.stream.name);
  const applier = new OnceOnlyApplier(opts.redis, seenPrefix(opts.cluster, opts.durable, info.created), {
    ...opts.applier,
    ...(opts.failpoint === 'mid_batch' ? { onCall: () => process.kill(process.pid, 'SIGKILL') } : {}),
  });
  return consumeBatches({
    js: opts.nc.jetstream(), jsm, stream: opts.stream.name, durable: opts.durable, log: opts.log,
    maxBatch: opts.maxBatch ?? 500,
    ackWaitMs: opts.ackWaitMs ?? 10_000,
    lingerMs: opts.lingerMs ?? 100,
    handle: (msgs) => (opts.serial ? opts.serial(() => handle(msgs)) : handle(msgs)),
  });

  async function handle(msgs: JsMsg[]): Promise<void> {
    const batch = msgs.map((m) => {
      let data: unknown;
      try {
        data = JSON.parse(decoder.decode(m.data));
      } catch {
        data = undefined; // not JSON: counted as nothing, acknowledged with the rest
      }
      return { seq: m.seq, data };
    });
    await applier.apply(await opts.toOps(batch));
    await opts.afterApply?.(batch);
  }
}
