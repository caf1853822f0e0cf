// What an operator changes in the delivery model: warehouses, delivery clusters with their
// postal-code zones, and routes warehouse → cluster. Every change is announced on
// `<cluster>.evt.logistics.changed`, which makes the estimate projection rebuild and every
// process reload its zones.
import type { NatsConnection } from 'nats';
import { RejectedError } from '../../cluster/index.ts';
import type { DeliveryCluster, DeliveryZone, LogisticsRepository, Route, Warehouse } from '../../stores/mysql/logistics.ts';
import { logisticsChangedSubject } from './estimator.ts';
import { postalKey } from './zones.ts';

export interface LogisticsView {
  warehouses: Warehouse[];
  clusters: (DeliveryCluster & { postalPrefixes: string[] })[];
  routes: Route[];
}

function zoneTaken(taken: DeliveryZone[]): RejectedError {
  return new RejectedError('zone_taken', `postal prefixes already in another cluster: ${taken.map((z) => `${z.postalPrefix} (${z.clusterId})`).join(', ')}`,
    { data: { taken: taken.map((z) => ({ postalPrefix: z.postalPrefix, clusterId: z.clusterId })) } });
}

export class LogisticsAdmin {
  constructor(private readonly repo: LogisticsRepository, private readonly nc: NatsConnection, private readonly cluster: string) {}

  private announce(): void {
    this.nc.publish(logisticsChangedSubject(this.cluster));
  }

  async view(): Promise<LogisticsView> {
    const [warehouses, clusters, routes, zones] = await Promise.all([this.repo.warehouses(), this.repo.clusters(), this.repo.routes(), this.repo.zones()]);
    const byCluster = new Map<string, string[]>();
    for (const z of zones) byCluster.set(z.clusterId, [...(byCluster.get(z.clusterId) ?? []), z.postalPrefix]);
    return { warehouses, clusters: clusters.map((c) => ({ ...c, postalPrefixes: byCluster.get(c.clusterId) ?? [] })), routes };
  }

  async putWarehouse(w: Warehouse): Promise<Warehouse> {
    await this.repo.upsertWarehouses([w]);
    this.announce();
    return w;
  }

  /** Creates or replaces a cluster; `postalPrefixes` become exactly its zones. */
  async putCluster(c: DeliveryCluster, postalPrefixes: string[]): Promise<DeliveryCluster & { postalPrefixes: string[] }> {
    const prefixes = [...new Set(postalPrefixes.map(postalKey))].sort();
    const taken = (await this.repo.zones()).filter((z: DeliveryZone) => z.country === c.country && z.clusterId !== c.clusterId && prefixes.includes(z.postalPrefix));
    if (taken.length > 0) throw zoneTaken(taken);
    // Checked again where it is decided: another cluster may have taken one since.
    const takenMeanwhile = await this.repo.putClusterWithZones(c, prefixes);
    if (takenMeanwhile.length > 0) throw zoneTaken(takenMeanwhile);
    this.announce();
    return { ...c, postalPrefixes: prefixes };
  }

  /** Whether a delivery cluster of this id exists. */
  async hasCluster(clusterId: string): Promise<boolean> {
    return (await this.repo.clusters()).some((c) => c.clusterId === clusterId);
  }

  async putRoute(r: Route): Promise<Route> {
    const [warehouses, clusters] = await Promise.all([this.repo.warehouses(), this.repo.clusters()]);
    if (!warehouses.some((w) => w.warehouseId === r.warehouseId)) throw new RejectedError('unknown_warehouse', `no warehouse ${r.warehouseId}`);
    if (!clusters.some((c) => c.clusterId === r.clusterId)) throw new RejectedError('unknown_cluster', `no delivery cluster ${r.clusterId}`);
    await this.repo.upsertRoutes([r]);
    this.announce();
    return r;
  }

  async deleteRoute(warehouseId: string, clusterId: string): Promise<void> {
    if (!(await this.repo.deleteRoute(warehouseId, clusterId))) throw new RejectedError('not_found', `no route from ${warehouseId} to ${clusterId}`);
    this.announce();
  }
}
