// Admin routes for the delivery model: warehouses, delivery clusters with their postal-code
// zones, and routes warehouse → cluster. Estimates are rebuilt on every change.
import { Hono } from 'hono';
import { z } from 'zod/v4';
import type { GatewayDeps } from '../deps.ts';
import type { GatewayEnv } from '../env.ts';
import { body, check } from '../validate.ts';
import { isoCountry } from '../schemas.ts';
import { noControlCharacters } from '../../stores/unicode.ts';

const id = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, '1-64 of a-z 0-9 - (starting with a letter or digit)');
// Control characters have no place in a name an operator reads back: a NUL had been stored.
const name = (max: number) => z.string().trim().min(1).max(max).regex(noControlCharacters, 'no control characters');
// An assigned ISO 3166-1 code, as an address's: a cluster for "XX" had been made, where no address can be.
const country = isoCountry.transform((c) => c.toUpperCase());

export const warehouseBody = z.object({
  name: name(200),
  region: name(64),
  location: z.object({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) }).nullable().optional(),
}).strict().meta({ id: 'WarehouseInput' });

export const clusterBody = z.object({
  name: name(200),
  country,
  postalPrefixes: z.array(z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9 -]{0,11}$/, 'a postal-code prefix of 1-12 letters and digits')).max(500).default([]),
}).strict().meta({ id: 'DeliveryClusterInput' });

export const routeBody = z.object({ transitDays: z.number().int().min(0).max(60) }).strict().meta({ id: 'RouteInput' });

export function logisticsAdminRoutes(deps: GatewayDeps): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const param = (value: string, field: string) => check(z.object({ [field]: id }), { [field]: value }, 'path')[field] as string;

  app.get('/v1/admin/logistics', async (c) => c.json(await deps.logistics.view()));

  app.put('/v1/admin/logistics/warehouses/:warehouseId', async (c) => {
    const warehouseId = param(c.req.param('warehouseId'), 'warehouseId');
    const w = await body(c, warehouseBody);
    return c.json(await deps.logistics.putWarehouse({ warehouseId, name: w.name, region: w.region, location: w.location ?? null }));
  });

  app.put('/v1/admin/logistics/clusters/:clusterId', async (c) => {
    const clusterId = param(c.req.param('clusterId'), 'clusterId');
    const b = await body(c, clusterBody);
    return c.json(await deps.logistics.putCluster({ clusterId, name: b.name, country: b.country }, b.postalPrefixes));
  });

  app.put('/v1/admin/logistics/routes/:warehouseId/:clusterId', async (c) => {
    const warehouseId = param(c.req.param('warehouseId'), 'warehouseId');
    const clusterId = param(c.req.param('clusterId'), 'clusterId');
    const { transitDays } = await body(c, routeBody);
    return c.json(await deps.logistics.putRoute({ warehouseId, clusterId, transitDays }));
  });

  app.delete('/v1/admin/logistics/routes/:warehouseId/:clusterId', async (c) => {
    await deps.logistics.deleteRoute(param(c.req.param('warehouseId'), 'warehouseId'), param(c.req.param('clusterId'), 'clusterId'));
    return c.body(null, 204);
  });
  return app;
}
