// What a bench needs so its buyers can check out: delivery routes (the demo's) and an
// address per buyer (checkout refuses an order without a deliverable address), and limits
// that do not cap one buyer's repeated checkouts (MAX_OPEN_ORDERS, MAX_UNITS_PER_SKU).
import { logisticsClusters, logisticsRoutes } from '../app/catalog-demo.ts';
import type { Pool } from '../stores/mysql/index.ts';
import { LogisticsRepository } from '../stores/mysql/logistics.ts';

/** Environment for bench nodes: a buyer may hold any number of unpaid orders. */
export const benchCheckoutEnv = { MAX_OPEN_ORDERS: '1000000' };

export async function seedRoutes(pool: Pool): Promise<void> {
  const repo = new LogisticsRepository(pool);
  await repo.upsertClusters(logisticsClusters);
  await repo.upsertRoutes(logisticsRoutes);
}

/** Gives a buyer a default address in the `east` delivery cluster. */
export async function addAddress(base: string, token: string): Promise<void> {
  const r = await fetch(`${base}/v1/me/addresses`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ line1: '1 Main St', city: 'Boston', region: 'MA', country: 'US', postalCode: '02110', isDefault: true }),
  });
  if (r.status !== 201) throw new Error(`address failed: ${r.status} ${await r.text()}`);
}
