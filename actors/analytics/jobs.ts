// The analytics projections, each a cluster singleton with a durable consumer: searches
// (SEARCH), the clickstream (EVENTS) and orders (ORDERS) into rolling counts in Redis.
import type { NatsConnection } from 'nats';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Singleton } from '../../cluster/index.ts';
import { eventsStream, ordersStream, searchStream } from '../../stores/events/index.ts';
import { asyncSingleton } from '../catalog/index.ts';
import { onceOnlyConsumer, type AnalyticsFailpoint } from './consumer.ts';
import { clickOps, orderOps, searchOps } from './counters.ts';
import { asClickEvent, asOrderEvent, asSearchEvent, saleSign } from './events.ts';
import { AnalyticsKeys } from './keys.ts';
import type { EventOps } from './once-only.ts';

export interface AnalyticsJobDeps {
  nc: NatsConnection;
  cluster: string;
  redis: Redis;
  log: Logger;
  /** Categories of SKUs (for order lines that came without one); missing SKUs are left out. */
  categoriesOf(skus: string[]): Promise<Map<string, string>>;
  ackWaitMs?: number;
  failpoint?: AnalyticsFailpoint;
}

export function analyticsJobs(deps: AnalyticsJobDeps): Singleton[] {
  const k = new AnalyticsKeys(deps.cluster);
  const log = deps.log.child({ part: 'analytics' });
  const common = { nc: deps.nc, cluster: deps.cluster, redis: deps.redis, log, ackWaitMs: deps.ackWaitMs, failpoint: deps.failpoint };
  return [
    asyncSingleton('analytics-search', log, () => onceOnlyConsumer({
      ...common, stream: searchStream(deps.cluster), durable: 'analytics-search',
      toOps: async (batch) => batch.map(({ seq, data }): EventOps => {
        const e = asSearchEvent(data);
        return { seq, ops: e ? searchOps(k, e) : [] };
      }),
    })),
    asyncSingleton('analytics-events', log, () => onceOnlyConsumer({
      ...common, stream: eventsStream(deps.cluster), durable: 'analytics-events',
      toOps: async (batch) => batch.map(({ seq, data }): EventOps => {
        const e = asClickEvent(data);
        return { seq, ops: e ? clickOps(k, e) : [] };
      }),
    })),
    asyncSingleton('analytics-orders', log, () => onceOnlyConsumer({
      ...common, stream: ordersStream(deps.cluster), durable: 'analytics-orders',
      async toOps(batch) {
        const events = batch.map(({ seq, data }) => ({ seq, e: asOrderEvent(data) }));
        const missing = new Set<string>();
        for (const { e } of events) for (const l of e?.lines ?? []) if (!l.category) missing.add(l.sku);
        const categories = missing.size > 0 ? await deps.categoriesOf([...missing]) : new Map<string, string>();
        return events.map(({ seq, e }): EventOps => {
          const sign = e ? saleSign(e.type) : 0;
          return { seq, ops: e && sign !== 0 ? orderOps(k, e, sign, (sku) => categories.get(sku) ?? '') : [] };
        });
      },
    })),
  ];
}
