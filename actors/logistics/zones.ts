// Which delivery cluster an address is in: the longest postal-code prefix an operator put
// into a zone (so one city can hold several clusters), else the built-in country/state
// rule. The zones are read from MariaDB at most every `maxAgeMs` per process, and at once
// when logistics change (`<cluster>.evt.logistics.changed`).
import type { NatsConnection } from 'nats';
import type { DeliveryZone, LogisticsRepository } from '../../stores/mysql/logistics.ts';
import { Reloading } from '../../stores/reloading.ts';
import { deliveryCluster } from '../users/region.ts';
import { logisticsChangedSubject } from './estimator.ts';

/** How postal codes are compared: upper-case, without spaces or dashes. */
export const postalKey = (postalCode: string) => postalCode.toUpperCase().replace(/[\s-]/g, '');

/** The cluster of the longest zone prefix matching the address, if any. Pure. */
export function zoneOf(zones: readonly DeliveryZone[], country: string, postalCode: string): string | undefined {
  const c = country.toUpperCase();
  const code = postalKey(postalCode);
  let best: DeliveryZone | undefined;
  for (const z of zones) {
    if (z.country === c && code.startsWith(z.postalPrefix) && (!best || z.postalPrefix.length > best.postalPrefix.length)) best = z;
  }
  return best?.clusterId;
}

export class ZoneResolver {
  private readonly zones: Reloading<DeliveryZone[]>;

  constructor(repo: LogisticsRepository, maxAgeMs = 30_000) {
    this.zones = new Reloading(() => repo.zones(), maxAgeMs);
  }

  /** Reloads at once whenever an operator changes logistics; returns the unsubscribe. */
  follow(nc: NatsConnection, cluster: string): () => void {
    const sub = nc.subscribe(logisticsChangedSubject(cluster), { callback: () => this.zones.invalidate() });
    return () => sub.unsubscribe();
  }

  private current(): Promise<DeliveryZone[]> {
    return this.zones.current();
  }

  async clusterOf(country: string, region: string, postalCode: string): Promise<string> {
    return zoneOf(await this.current(), country, postalCode) ?? deliveryCluster(country, region, postalCode);
  }
}
