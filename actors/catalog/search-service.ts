// The search service on every node: runs a query on this node's index, drops out-of-stock
// SKUs (one SMISMEMBER per batch of hits) and, for a caller with a delivery cluster, SKUs
// that cannot be delivered there (one HMGET of the precomputed estimates), pulling further
// hits until the page is full. Every search is published to the SEARCH stream.
import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { InvalidError } from '../../cluster/index.ts';
import { searchStream } from '../../stores/events/index.ts';
import type { Facets, IndexedProduct, SearchIndex, SearchQuery } from '../../stores/search/index.ts';
import { etaOf, type DeliveryEstimates, type Eta } from '../logistics/index.ts';
import { categoryTree, type CategoryNode } from './categories.ts';
import type { OutOfStockSet } from './out-of-stock.ts';
import { serveService, serviceSubject } from './rpc.ts';

/** The port's query with an opaque cursor instead of offset/size, and who is asking. */
export interface SearchRequest extends Omit<SearchQuery, 'offset' | 'size'> {
  cursor?: string;
  limit: number;
  /** The caller's delivery cluster (default address): undeliverable SKUs are left out. */
  cluster?: string;
  userId?: string;
  deviceId?: string;
  /** Publish a search event (searches do; category listings do not). */
  record: boolean;
}

export interface SearchItem extends IndexedProduct {
  score: number;
  delivery?: Eta;
}

export interface SearchPage {
  items: SearchItem[];
  facets: Facets;
  total: number;
  nextCursor: string | null;
}

export const encodeCursor = (offset: number) => Buffer.from(JSON.stringify({ o: offset })).toString('base64url');

export function decodeCursor(cursor: string | undefined): number {
  if (!cursor) return 0;
  try {
    const o = (JSON.parse(Buffer.from(cursor, 'base64url').toString()) as { o?: unknown }).o;
    if (typeof o === 'number' && Number.isInteger(o) && o >= 0) return o;
  } catch {
    // fall through to the error
  }
  throw new InvalidError('cursor is not one this API gave out');
}

export interface SearchDeps {
  index: SearchIndex;
  oos: OutOfStockSet;
  estimates: DeliveryEstimates;
}

export async function runSearch(deps: SearchDeps, req: SearchRequest): Promise<SearchPage> {
  const start = decodeCursor(req.cursor);
  const base = { q: req.q, category: req.category, brand: req.brand, minPrice: req.minPrice, maxPrice: req.maxPrice, sort: req.sort };
  const items: SearchItem[] = [];
  // Candidates fetched per round: a little more than a page, since some will be dropped.
  const chunk = Math.max(20, req.limit * 2);
  let pos = start;
  let total = 0;
  let facets: Facets = { category: {}, brand: {} };
  for (let round = 0; items.length < req.limit; round++) {
    const res = await deps.index.search({ ...base, offset: pos, size: chunk });
    if (round === 0) {
      total = res.total;
      facets = res.facets;
    }
    if (res.hits.length === 0) break;
    const skus = res.hits.map((h) => h.sku);
    const [oos, days] = await Promise.all([
      deps.oos.which(skus),
      req.cluster ? deps.estimates.days(req.cluster, skus) : Promise.resolve(undefined),
    ]);
    const now = Date.now();
    let i = 0;
    for (; i < res.hits.length && items.length < req.limit; i++) {
      const h = res.hits[i]!;
      if (oos.has(h.sku)) continue;
      const d = days?.[i];
      if (req.cluster && d === undefined) continue;
      items.push({ ...h.product, score: h.score, ...(d !== undefined ? { delivery: etaOf(d, now) } : {}) });
    }
    pos += i;
    if (res.hits.length < chunk) {
      if (i === res.hits.length) pos = Math.max(pos, total);
      break;
    }
  }
  return { items, facets, total, nextCursor: pos < total ? encodeCursor(pos) : null };
}

export interface SearchServiceDeps extends SearchDeps {
  nc: NatsConnection;
  cluster: string;
  log: Logger;
}

/** Serves `search` and `categories` on this node; returns a stop function. */
export function serveSearch(deps: SearchServiceDeps): () => Promise<void> {
  const events = searchStream(deps.cluster);
  const js = deps.nc.jetstream();
  const encoder = new TextEncoder();
  const stopSearch = serveService(deps.nc, serviceSubject(deps.cluster, 'catalog', 'search'), deps.log, async (raw) => {
    const req = raw as SearchRequest;
    const page = await runSearch(deps, req);
    if (req.record) {
      const event = {
        query: req.q ?? '',
        filters: { category: req.category, brand: req.brand, minPrice: req.minPrice, maxPrice: req.maxPrice, sort: req.sort },
        ...(req.userId ? { userId: req.userId } : { deviceId: req.deviceId }),
        resultCount: page.total,
        // The first results, for trending and recommendations.
        skus: page.items.slice(0, 10).map((i) => i.sku),
        at: Date.now(),
      };
      // Analytics must not slow or fail a search: published in the background.
      js.publish(events.subject('query', req.userId ? 'user' : 'anonymous'), encoder.encode(JSON.stringify(event)))
        .catch((err: unknown) => deps.log.warn({ err: String(err) }, 'search event not published'));
    }
    return page;
  });
  const stopCategories = serveService(deps.nc, serviceSubject(deps.cluster, 'catalog', 'categories'), deps.log, async (): Promise<CategoryNode[]> =>
    categoryTree(await deps.index.categoryCounts()));
  return async () => {
    await stopSearch();
    await stopCategories();
  };
}
