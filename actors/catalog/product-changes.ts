// Product changes announced on NATS (`<cluster>.evt.products.changed` {skus}), so every
// process's short product cache (cart prices, checkout) forgets changed or removed SKUs at
// once instead of serving them for up to its lifetime.
import type { NatsConnection, Subscription } from 'nats';

export const productsChangedSubject = (cluster: string) => `${cluster}.evt.products.changed`;

export function announceProductChanges(nc: NatsConnection, cluster: string, skus: string[]): void {
  for (let i = 0; i < skus.length; i += 1000) nc.publish(productsChangedSubject(cluster), JSON.stringify({ skus: skus.slice(i, i + 1000) }));
}

/** Calls `forget` with the SKUs of every announcement; unsubscribe to stop. */
export function followProductChanges(nc: NatsConnection, cluster: string, forget: (skus: string[]) => void): Subscription {
  return nc.subscribe(productsChangedSubject(cluster), {
    callback: (_err, m) => {
      try {
        const { skus } = m.json<{ skus?: unknown }>();
        if (Array.isArray(skus)) forget(skus.filter((s): s is string => typeof s === 'string'));
      } catch {
        // not ours: ignore
      }
    },
  });
}
