// Response shapes of the catalog, search and logistics routes, for /openapi.json (the
// query and body schemas the routes check with live next to the routes themselves).
import { z } from 'zod/v4';

const eta = z.object({ eta: z.string().describe('the delivery date, YYYY-MM-DD'), days: z.int() }).meta({ id: 'DeliveryEstimate' });

const productFields = {
  sku: z.string(), title: z.string(), brand: z.string(), category: z.string().describe('a slash path such as electronics/audio'),
  price: z.int().describe('minor units'), currency: z.string(), attributes: z.record(z.string(), z.unknown()),
};

/** The stock of a listed product (search, related, recommendations): out-of-stock ones are left out. */
export const listedStock = z.object({ status: z.enum(['in_stock', 'low']) }).describe('out-of-stock products are left out');

export const productView = z.object({
  ...productFields,
  stock: z.object({ status: z.enum(['in_stock', 'low', 'out_of_stock']) }),
  delivery: eta.optional().describe('with a default address, or country/postalCode in the query'),
}).meta({ id: 'Product' });

const counts = z.record(z.string(), z.int());

export const searchPage = z.object({
  items: z.array(z.object({
    ...productFields, stock: listedStock, score: z.number(), delivery: eta.optional(),
  })),
  facets: z.object({ category: counts, brand: counts, attributes: z.record(z.string(), counts).describe('attribute name → value → hits') }),
  facetsExact: z.boolean().describe('false when the result set was too large to count every hit and the facets were estimated from an even sample of 5,000 (total stays exact)'),
  total: z.int().describe('hits the shopper can buy (in stock, deliverable to them)'),
  nextCursor: z.string().nullable(),
}).meta({ id: 'SearchPage' });

// Recursive through a getter, with an id of its own: a lazy schema without one became a
// `__shared` schema that /openapi.json referred to with a `$ref` no resolver can follow.
const categoryNode = z.object({
  slug: z.string(), path: z.string(), name: z.string(), count: z.int(),
  get children() {
    return z.array(categoryNode);
  },
}).meta({ id: 'CategoryNode' });
export const categories = z.object({ items: z.array(categoryNode) }).meta({ id: 'CategoryTree' });

export const suggestions = z.object({
  items: z.array(z.object({ text: z.string(), kind: z.enum(['query', 'product', 'category']) })),
}).meta({ id: 'Suggestions' });

export const onboarded = z.object({
  accepted: z.int(),
  rejected: z.array(z.object({ line: z.int().optional(), reason: z.string().optional() }).passthrough()),
}).meta({ id: 'OnboardResult' });

const warehouse = z.object({
  warehouseId: z.string(), name: z.string(), region: z.string(), location: z.object({ lat: z.number(), lon: z.number() }).nullable(),
}).meta({ id: 'Warehouse' });
export const warehouses = z.object({ items: z.array(warehouse) }).meta({ id: 'WarehouseList' });

const deliveryCluster = z.object({ clusterId: z.string(), name: z.string(), country: z.string(), postalPrefixes: z.array(z.string()) }).meta({ id: 'DeliveryCluster' });
const route = z.object({ warehouseId: z.string(), clusterId: z.string(), transitDays: z.int() }).meta({ id: 'Route' });
export const logisticsView = z.object({ warehouses: z.array(warehouse), clusters: z.array(deliveryCluster), routes: z.array(route) }).meta({ id: 'Logistics' });
export { warehouse, deliveryCluster, route };
