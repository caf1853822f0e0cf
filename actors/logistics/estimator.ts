// The delivery-estimate projection, a cluster singleton: rebuilds every (SKU, cluster)
// estimate on start and whenever routes change (a `<cluster>.evt.logistics.changed`
// message, or every `refreshMs`), and recomputes the SKUs named by INVENTORY events as they
// come. Reads and writes are serialised, so an incremental update never races a rebuild.
import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import type { Singleton } from '../../cluster/index.ts';
import { consumeBatches, ensureStream, inventoryStream } from '../../stores/events/index.ts';
import type { LogisticsRepository } from '../../stores/mysql/logistics.ts';
import { asyncSingleton } from '../catalog/jobs.ts';
import { estimate, routeTable, type DeliveryEstimates, type RouteTable } from './estimates.ts';

export const logisticsChangedSubject = (cluster: string) => `${cluster}.evt.logistics.changed`;

export interface EstimatorDeps {
  nc: NatsConnection;
  cluster: string;
  repo: LogisticsRepository;
  estimates: DeliveryEstimates;
  log: Logger;
  refreshMs?: number;
}

export class DeliveryEstimator {
  private table: RouteTable = new Map();
  private clusters: string[] = [];
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: EstimatorDeps) {}

  private serial<T>(f: () => Promise<T>): Promise<T> {
    const next = this.chain.then(f);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Reloads the routes and recomputes every stocked SKU. */
  rebuild(): Promise<number> {
    return this.serial(async () => {
      const [routes, known] = await Promise.all([this.deps.repo.routes(), this.deps.repo.clusters()]);
      this.table = routeTable(routes);
      this.clusters = [...new Set([...known.map((c) => c.clusterId), ...this.table.keys()])];
      const perCluster = new Map<string, Map<string, number>>();
      let after = '';
      let skus = 0;
      for (;;) {
        const page = await this.deps.repo.stockLocationsPage(after, 2000);
        if (page.size === 0) break;
        for (const [sku, warehouses] of page) {
          for (const [c, d] of estimate(warehouses, this.table)) {
            const m = perCluster.get(c) ?? new Map<string, number>();
            m.set(sku, d);
            perCluster.set(c, m);
          }
          after = sku;
          skus++;
        }
      }
      await this.deps.estimates.replaceAll(perCluster, this.clusters);
      this.deps.log.info({ skus, clusters: this.clusters.length }, 'delivery estimates rebuilt');
      return skus;
    });
  }

  /** Recomputes some SKUs from where their stock sits now. */
  refresh(skus: string[]): Promise<void> {
    return this.serial(async () => {
      const located = await this.deps.repo.stockLocations(skus);
      const perSku = new Map<string, Map<string, number>>();
      for (const sku of skus) perSku.set(sku, estimate(located.get(sku) ?? [], this.table));
      await this.deps.estimates.write(perSku, this.clusters);
    });
  }
}

export function deliveryEstimator(deps: EstimatorDeps): Singleton {
  return asyncSingleton('logistics-delivery-estimates', deps.log, async () => {
    const estimator = new DeliveryEstimator(deps);
    // Listen before the first rebuild, so a change announced meanwhile is not missed.
    const sub = deps.nc.subscribe(logisticsChangedSubject(deps.cluster), {
      callback: () => void estimator.rebuild().catch((err: unknown) => deps.log.error({ err: String(err) }, 'estimate rebuild failed')),
    });
    await estimator.rebuild();
    const timer = setInterval(() => void estimator.rebuild().catch(() => undefined), deps.refreshMs ?? 600_000);
    const stream = inventoryStream(deps.cluster);
    const jsm = await deps.nc.jetstreamManager();
    await ensureStream(jsm, stream);
    const consumer = await consumeBatches({
      js: deps.nc.jetstream(), jsm, stream: stream.name, durable: 'logistics-eta', log: deps.log, maxBatch: 1000,
      async handle(batch) {
        const skus = new Set<string>();
        for (const m of batch) {
          const sku = m.json<{ sku?: unknown }>().sku;
          if (typeof sku === 'string') skus.add(sku);
        }
        await estimator.refresh([...skus]);
      },
    });
    return {
      async stop() {
        clearInterval(timer);
        sub.unsubscribe();
        await consumer.stop();
      },
    };
  });
}
