// The recommendations trainer: one cluster singleton with durable consumers of EVENTS,
// ORDERS and SEARCH that take turns, so their derived outputs never race. Each batch's
// counts go through the once-only applier; then the related lists of the SKUs whose
// co-occurrences changed and the recommendations of the users with new events are
// recomputed a moment later.
import type { Singleton } from '../../cluster/index.ts';
import { eventsStream, ordersStream, searchStream } from '../../stores/events/index.ts';
import { asyncSingleton } from '../catalog/index.ts';
import { asClickEvent, asOrderEvent, asSearchEvent, onceOnlyConsumer, type AnalyticsJobDeps, type EventOps } from '../analytics/index.ts';
import { RecModel, type CategoryListing } from './derive.ts';
import { OutOfStockSet, newestProducts } from '../catalog/index.ts';
import { RecKeys } from './keys.ts';
import { clickTrainingOps, limits, orderTrainingOps, searchTrainingOps } from './training.ts';

/** What the analytics jobs need (the same streams, the same once-only applier), and how often to derive. */
export interface TrainerDeps extends AnalyticsJobDeps {
  /** How often related lists and user recommendations that are due get recomputed. */
  deriveEveryMs?: number;
  /** Products of a category, for users whom co-occurrences give too little; default: the catalog's search service. */
  listing?: CategoryListing;
}

/** A category's products from the catalog's search service (any node's), newest first, in stock. */
export function catalogListing(nc: TrainerDeps['nc'], cluster: string): CategoryListing {
  return (category, limit) => newestProducts(nc, cluster, { category, limit });
}

type Batch = Array<{ seq: number; data: unknown }>;

export function recommendationsTrainer(deps: TrainerDeps): Singleton {
  const log = deps.log.child({ part: 'recommendations' });
  return asyncSingleton('recs-trainer', log, async () => {
    const keys = new RecKeys(deps.cluster);
    const stock = new OutOfStockSet(deps.redis, deps.cluster);
    const outOfStock = async (skus: string[]) => new Set([...(await stock.statuses(skus))].filter(([, st]) => st === 'out_of_stock').map(([sku]) => sku));
    const model = new RecModel(deps.redis, keys, Date.now, deps.listing ?? catalogListing(deps.nc, deps.cluster), outOfStock);
    let chain: Promise<unknown> = Promise.resolve();
    const serial = <T>(f: () => Promise<T>): Promise<T> => {
      const next = chain.then(f);
      chain = next.catch(() => undefined);
      return next;
    };
    /**
     * Derived outputs are recomputed on a timer, not per batch: during a burst each SKU and
     * user is recomputed once per round instead of once per batch. What is due is kept in
     * Redis sets, added to after every batch (a redelivered batch adds again), so a crash
     * loses nothing.
     */
    const derive = async () => {
      // A failed recompute puts what it took back, for the next round.
      for (let round = 0; round < 20; round++) {
        const skus = await model.takeDirty(2000);
        await model.recomputeRelated(skus).catch(async (err: unknown) => {
          await model.markDirty(skus, []);
          throw err;
        });
        if (skus.length < 2000) break;
      }
      for (let round = 0; round < 20; round++) {
        const users = await model.takeDirtyUsers(1000);
        await model.recomputeUsers(users).catch(async (err: unknown) => {
          await model.markDirty([], users);
          throw err;
        });
        if (users.length < 1000) break;
      }
    };
    // The next round waits at least three times as long as the last one took, so during a
    // burst (a replay, a backlog) recomputing takes at most about a quarter of the time.
    let deriving: Promise<void> | undefined;
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const schedule = (delayMs: number) => {
      if (stopped) return;
      timer = setTimeout(() => {
        const began = performance.now();
        deriving = serial(derive)
          .catch((err: unknown) => log.warn({ err: String(err) }, 'recomputing recommendations failed; next round retries'))
          .finally(() => {
            deriving = undefined;
            schedule(Math.max(deps.deriveEveryMs ?? 250, 3 * (performance.now() - began)));
          });
      }, delayMs);
    };
    schedule(deps.deriveEveryMs ?? 250);
    const due = (skus: Iterable<string>, users: Iterable<string>) => model.markDirty([...new Set(skus)], [...new Set(users)]);
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
          return due([], events.flatMap((e) => (e?.userId ? [e.userId] : [])));
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
          return due(events.flatMap((e) => e!.lines.map((l) => l.sku)), events.flatMap((e) => (e!.userId ? [e!.userId] : [])));
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
        afterApply: (batch: Batch) => due([], batch.flatMap((b) => {
          const e = asSearchEvent(b.data);
          return e?.userId && e.skus?.length ? [e.userId] : [];
        })),
      }),
    ]);
    return {
      caughtUp: Promise.all(consumers.map((c) => c.caughtUp)).then(() => undefined),
      async stop() {
        await Promise.all(consumers.map((c) => c.stop()));
        stopped = true;
        clearTimeout(timer);
        await deriving;
      },
    };
  });
}
