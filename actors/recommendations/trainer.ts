// The recommendations trainer: one cluster singleton with durable consumers of EVENTS,
// ORDERS and SEARCH that take turns, so their derived outputs never race. Each batch's
// counts go through the once-only applier; then the related lists of the SKUs whose
// co-occurrences changed and the recommendations of the users in the batch are recomputed.
import type { NatsConnection } from 'nats';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Singleton } from '../../cluster/index.ts';
import { eventsStream, ordersStream, searchStream } from '../../stores/events/index.ts';
import { asyncSingleton } from '../catalog/index.ts';
import { asClickEvent, asOrderEvent, asSearchEvent, onceOnlyConsumer, type AnalyticsFailpoint, type EventOps } from '../analytics/index.ts';
import { RecModel } from './derive.ts';
import { RecKeys } from './keys.ts';
import { clickTrainingOps, limits, orderTrainingOps, searchTrainingOps } from './training.ts';

export interface TrainerDeps {
  nc: NatsConnection;
  cluster: string;
  redis: Redis;
  log: Logger;
  categoriesOf(skus: string[]): Promise<Map<string, string>>;
  ackWaitMs?: number;
  failpoint?: AnalyticsFailpoint;
}

type Batch = Array<{ seq: number; data: unknown }>;

export function recommendationsTrainer(deps: TrainerDeps): Singleton {
  const log = deps.log.child({ part: 'recommendations' });
  return asyncSingleton('recs-trainer', log, async () => {
    const keys = new RecKeys(deps.cluster);
    const model = new RecModel(deps.redis, keys);
    let chain: Promise<unknown> = Promise.resolve();
    const serial = <T>(f: () => Promise<T>): Promise<T> => {
      const next = chain.then(f);
      chain = next.catch(() => undefined);
      return next;
    };
    /** After a batch: related lists of what changed (and of the batch's SKUs), then the batch's users. */
    const derive = async (skus: Iterable<string>, users: Iterable<string>) => {
      for (;;) {
        const dirty = await model.takeDirty(1000);
        const all = [...new Set([...skus, ...dirty])];
        skus = [];
        await model.recomputeRelated(all);
        if (dirty.length < 1000) break;
      }
      await model.recomputeUsers([...new Set(users)]);
    };
    const common = {
      nc: deps.nc, cluster: deps.cluster, redis: deps.redis, log, ackWaitMs: deps.ackWaitMs, failpoint: deps.failpoint, serial,
      applier: { dirtyKey: keys.dirty(), coMax: limits.coMax, coTtlSec: limits.coTtlS },
    };
    const consumers = await Promise.all([
      onceOnlyConsumer({
        ...common, stream: eventsStream(deps.cluster), durable: 'recs-events',
        toOps: async (batch) => {
          const now = Date.now();
          return batch.map(({ seq, data }): EventOps => {
            const e = asClickEvent(data);
            return { seq, ops: e ? clickTrainingOps(keys, e, now) : [] };
          });
        },
        afterApply: (batch: Batch) => {
          const events = batch.map((b) => asClickEvent(b.data));
          return derive([], events.flatMap((e) => (e?.userId ? [e.userId] : [])));
        },
      }),
      onceOnlyConsumer({
        ...common, stream: ordersStream(deps.cluster), durable: 'recs-orders',
        toOps: async (batch) => {
          const now = Date.now();
          const events = batch.map(({ seq, data }) => ({ seq, e: asOrderEvent(data) }));
          const missing = new Set<string>();
          for (const { e } of events) for (const l of e?.lines ?? []) if (!l.category) missing.add(l.sku);
          const categories = missing.size > 0 ? await deps.categoriesOf([...missing]) : new Map<string, string>();
          return events.map(({ seq, e }): EventOps => ({ seq, ops: e ? orderTrainingOps(keys, e, (s) => categories.get(s) ?? '', now) : [] }));
        },
        afterApply: (batch: Batch) => {
          const events = batch.map((b) => asOrderEvent(b.data)).filter((e) => e?.type === 'OrderPlaced');
          return derive(events.flatMap((e) => e!.lines.map((l) => l.sku)), events.flatMap((e) => (e!.userId ? [e!.userId] : [])));
        },
      }),
      onceOnlyConsumer({
        ...common, stream: searchStream(deps.cluster), durable: 'recs-search',
        toOps: async (batch) => {
          const now = Date.now();
          return batch.map(({ seq, data }): EventOps => {
            const e = asSearchEvent(data);
            return { seq, ops: e ? searchTrainingOps(keys, e, now) : [] };
          });
        },
        afterApply: (batch: Batch) => derive([], batch.flatMap((b) => {
          const e = asSearchEvent(b.data);
          return e?.userId && e.skus?.length ? [e.userId] : [];
        })),
      }),
    ]);
    return {
      caughtUp: Promise.all(consumers.map((c) => c.caughtUp)).then(() => undefined),
      async stop() {
        await Promise.all(consumers.map((c) => c.stop()));
      },
    };
  });
}
