// Request and response shapes of the clickstream, recommendations, feedback and analytics
// routes (API.md "Personalisation and events", "Analytics"), shared with /openapi.json.
import { z } from 'zod/v4';
import { skuPattern } from './schemas.ts';
import { listedStock } from './schemas-catalog.ts';
import { limitParam, queryIntOr } from './paging.ts';
import { isoCurrency } from '../actors/catalog/currencies.ts';

const sku = z.string().regex(skuPattern, 'letters, digits and _-:@+=, 1-128 characters');
const category = z.string().regex(/^[a-z0-9][a-z0-9-]*(\/[a-z0-9][a-z0-9-]*){0,5}$/, 'a category path such as "electronics/audio"').max(120);
export const limit = limitParam;

export const deviceIdPattern = /^[A-Za-z0-9_-]{8,64}$/;

export const clickEventBody = z.object({
  type: z.enum(['view', 'click', 'add_to_cart']),
  sku,
  query: z.string().max(200).optional().describe('the search that led to this event'),
}).strict().meta({ id: 'ClickEvent' });

export const feedbackBody = z.union([
  z.object({ kind: z.literal('not_interested'), category }).strict(),
  z.object({ kind: z.literal('not_interested'), sku }).strict(),
]).meta({ id: 'Feedback', description: 'exactly one of category (hides its subtree) or sku' });

export const productCard = z.object({
  sku: z.string(), title: z.string(), brand: z.string(), category: z.string(), price: z.int(), currency: z.string(), attributes: z.object({}).passthrough(),
  stock: listedStock,
});
export const productList = z.object({ items: z.array(productCard) }).meta({ id: 'ProductList' });

export const topSearchesQuery = z.object({ window: z.enum(['hour', 'day']).default('hour'), limit }).strict();
export const topProductsQuery = z.object({ by: z.enum(['views', 'orders', 'wishlist']).default('views'), window: z.enum(['day', 'week']).default('day'), limit }).strict();
export const revenueQuery = z.object({
  by: z.enum(['category']).default('category'),
  window: z.enum(['hour', 'day']).default('day'),
  currency: isoCurrency.optional(),
  limit: queryIntOr(1, 100, 100),
}).strict();

export const topSearches = z.object({ window: z.string(), since: z.string(), items: z.array(z.object({ query: z.string(), count: z.number() })) }).meta({ id: 'TopSearches' });
export const topProducts = z.object({ window: z.string(), since: z.string(), items: z.array(z.object({ sku: z.string(), title: z.string(), count: z.number() })) }).meta({ id: 'TopProducts' });
export const revenue = z.object({
  window: z.string(), since: z.string(), currency: z.string(), items: z.array(z.object({ category: z.string(), revenue: z.int(), orders: z.int() })),
}).meta({ id: 'RevenueByCategory' });
