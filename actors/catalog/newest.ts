// The newest in-stock products, of a category (and below it) or of the whole catalog, from
// the search service on any node: what the homepage's best sellers, a user's
// recommendations and their cold start fall back on before there are sales.
import type { NatsConnection } from 'nats';
import { callService, serviceSubject } from './rpc.ts';
import type { SearchPage, SearchRequest } from './search-service.ts';

/** `[sku, category]` of up to `limit` (at most a page, 100) products, newest first. */
export async function newestProducts(
  nc: NatsConnection, cluster: string, opts: { category?: string; limit: number; deadlineMs?: number },
): Promise<Array<[sku: string, category: string]>> {
  const req: SearchRequest = { ...(opts.category ? { category: opts.category } : {}), sort: 'newest', limit: Math.min(opts.limit, 100), record: false };
  const page = await callService<SearchPage>(nc, serviceSubject(cluster, 'catalog', 'search'), req, opts.deadlineMs ?? 5000, { read: true });
  return page.items.map((i) => [i.sku, i.category]);
}
