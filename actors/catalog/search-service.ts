// The search service on every node: runs a query on this node's index, drops out-of-stock
// SKUs (one SMISMEMBER per batch of hits) and, for a caller with a delivery cluster, SKUs
// that cannot be delivered there (one HMGET of the precomputed estimates), pulling further
// hits until the page is full. With a ShopperFilter the index already leaves those out
// before counting, so `total` and the facets count what the shopper can buy; the live
// checks here catch what changed since the filter's last refresh. Every search is
// published to the SEARCH stream; completions mix those queries with titles and categories.
import { createHash } from 'node:crypto';
import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { InvalidError } from '../../cluster/index.ts';
import { searchStream } from '../../stores/events/index.ts';
import { isRankPlace, type Facets, type IndexedProduct, type RankPlace, type SearchIndex, type SearchQuery, type Suggestion } from '../../stores/search/index.ts';
import { etaOf, type DeliveryEstimates, type Eta } from '../logistics/index.ts';
import { categoryTree, type CategoryNode } from './categories.ts';
import type { OutOfStockSet } from './out-of-stock.ts';
import type { PopularityMirror } from './popularity.ts';
import { followSearches, QueryTally } from './query-tally.ts';
import type { ShopperFilter } from './shopper-filter.ts';
import { serveService, serviceSubject } from './rpc.ts';
import type { StockStatus } from '../inventory/index.ts';

/** The port's query with an opaque cursor instead of offset/size, and who is asking. */
export interface SearchRequest extends Omit<SearchQuery, 'offset' | 'size' | 'accept' | 'popularity'> {
  cursor?: string;
  limit: number;
  /** The caller's delivery cluster (default address): undeliverable SKUs are left out. */
  cluster?: string;
  userId?: string;
  deviceId?: string;
  /** Publish a search event (searches do; category listings do not). */
  record: boolean;
  /** The list this page belongs to (`searchList`): its next cursor names it. */
  list?: string;
  /** The same for every attempt of one search: its event's id, so JetStream keeps it once. */
  searchId?: string;
}

export interface SearchItem extends IndexedProduct {
  /** In stock or low (out-of-stock SKUs are left out): the projection's, a moment behind the entity. */
  stock: { status: StockStatus };
  score: number;
  delivery?: Eta;
}

export interface SearchPage {
  items: SearchItem[];
  facets: Facets;
  /** False when the facets are estimated (a very large result set, or an index that cannot apply the shopper's filter). */
  facetsExact: boolean;
  total: number;
  nextCursor: string | null;
}

/** Where a page starts: after a hit's place in the ranking, or (cursors from before places) at an offset. */
export interface CursorPlace {
  after?: RankPlace;
  offset: number;
}

/** A cursor for the page after `after` (a place) or at `offset` (a number), in the list `list`. */
export function encodeCursor(at: RankPlace | number, list?: string): string {
  const body: { a?: RankPlace; o?: number; l?: string } = typeof at === 'number' ? { o: at } : { a: at };
  if (list !== undefined) body.l = list;
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

/** A cursor's place, and the list it pages through (absent in cursors from before lists were named). */
export function cursorParts(cursor: string): CursorPlace & { list?: string } {
  try {
    const { a, o, l } = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as { a?: unknown; o?: unknown; l?: unknown };
    if (l !== undefined && typeof l !== 'string') throw new Error('list');
    const list = l === undefined ? {} : { list: l };
    if (a !== undefined && o === undefined && isRankPlace(a)) return { after: a, offset: 0, ...list };
    if (a === undefined && typeof o === 'number' && Number.isInteger(o) && o >= 0) return { offset: o, ...list };
  } catch {
    // fall through to the error
  }
  throw new InvalidError('cursor is not one this API gave out');
}

export function decodeCursor(cursor: string | undefined): CursorPlace {
  if (!cursor) return { offset: 0 };
  const { after, offset } = cursorParts(cursor);
  return after ? { after, offset } : { offset };
}

/**
 * A short name for what a search or listing pages through: every parameter but the page's
 * place and size. A cursor carries it, so a cursor sent with another query is refused
 * instead of answering a page from the middle of some other list.
 */
export function searchList(parameters: Record<string, unknown>): string {
  const sorted = Object.keys(parameters).filter((k) => parameters[k] !== undefined).sort().map((k) => [k, parameters[k]]);
  return createHash('sha256').update(JSON.stringify(sorted)).digest('base64url').slice(0, 10);
}

export interface SearchDeps {
  index: SearchIndex;
  oos: OutOfStockSet;
  estimates: DeliveryEstimates;
  /** Counts only buyable hits (total, facets); without it they count every hit. */
  filter?: ShopperFilter;
  /** Units sold in 7 days, for sort=popular. */
  popularity?: PopularityMirror;
}

export async function runSearch(deps: SearchDeps, req: SearchRequest): Promise<SearchPage> {
  const start = decodeCursor(req.cursor);
  const [accept, popularity] = await Promise.all([
    deps.filter?.filterFor(req.cluster),
    req.sort === 'popular' ? deps.popularity?.current() : undefined,
  ]);
  const base: Omit<SearchQuery, 'offset' | 'size'> = {
    q: req.q, category: req.category, brand: req.brand, minPrice: req.minPrice, maxPrice: req.maxPrice, sort: req.sort,
    ...(req.attributes ? { attributes: req.attributes } : {}),
    ...(accept ? { accept } : {}),
    ...(popularity ? { popularity } : {}),
  };
  const items: SearchItem[] = [];
  // Candidates fetched per round: a little more than a page, since some will be dropped.
  const chunk = Math.max(20, req.limit * 2);
  // The page goes on after the last hit looked at (kept or dropped), by its place in the
  // ranking, not by a count: a SKU that sells out or leaves the index between two pages
  // would shift an offset, and the shopper would never see the hit it shifted past.
  let after = start.after;
  let offset = start.offset;
  let total = 0;
  let facets: Facets = { category: {}, brand: {}, attributes: {} };
  let facetsExact = true;
  /** Whether the index has hits past the last one looked at. */
  let more = false;
  for (let round = 0; items.length < req.limit; round++) {
    // One hit more than is looked at: whether it comes back says whether there is more.
    const res = await deps.index.search({ ...base, ...(after ? { after } : {}), offset, size: chunk + 1 });
    if (round === 0) {
      total = res.total;
      facets = res.facets;
      facetsExact = res.facetsExact;
    }
    const hits = res.hits.slice(0, chunk);
    if (hits.length === 0) break;
    const skus = hits.map((h) => h.sku);
    const [stock, days] = await Promise.all([
      deps.oos.statuses(skus),
      req.cluster ? deps.estimates.days(req.cluster, skus) : Promise.resolve(undefined),
    ]);
    const now = Date.now();
    let i = 0;
    for (; i < hits.length && items.length < req.limit; i++) {
      const h = hits[i]!;
      const status = stock.get(h.sku) ?? 'in_stock';
      if (status === 'out_of_stock') continue;
      const d = days?.[i];
      if (req.cluster && d === undefined) continue;
      // Each item as the product page has it (API.md: "same as product, with score").
      items.push({ ...h.product, stock: { status }, score: h.score, ...(d !== undefined ? { delivery: etaOf(d, now) } : {}) });
    }
    after = hits[i - 1]!.place;
    offset = 0;
    more = res.hits.length > i;
    if (!more) break;
  }
  return { items, facets, facetsExact, total, nextCursor: more && after ? encodeCursor(after, req.list) : null };
}

/** Completions for what the user is typing: past searches first, then categories and titles. */
export async function runSuggest(deps: { index: SearchIndex; tally?: QueryTally; filter?: ShopperFilter }, q: string, limit: number): Promise<Suggestion[]> {
  const queries = deps.tally?.complete(q, Math.max(3, Math.ceil(limit / 2))) ?? [];
  const out: Suggestion[] = queries.map((text) => ({ text, kind: 'query' }));
  // Products a search would show (in stock; suggest takes no address, so delivery is not asked).
  const accept = await deps.filter?.filterFor(undefined);
  for (const s of await deps.index.suggest(q, limit, accept?.accepts)) if (out.length < limit) out.push(s);
  return out;
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
        filters: { category: req.category, brand: req.brand, minPrice: req.minPrice, maxPrice: req.maxPrice, sort: req.sort, attributes: req.attributes },
        ...(req.userId ? { userId: req.userId } : { deviceId: req.deviceId }),
        resultCount: page.total,
        // The first results, for trending and recommendations.
        skus: page.items.slice(0, 10).map((i) => i.sku),
        at: Date.now(),
      };
      // Analytics must not slow or fail a search: published in the background.
      js.publish(events.subject('query', req.userId ? 'user' : 'anonymous'), encoder.encode(JSON.stringify(event)), req.searchId ? { msgID: `search-${req.searchId}` } : undefined)
        .catch((err: unknown) => deps.log.warn({ err: String(err) }, 'search event not published'));
    }
    return page;
  });
  const stopCategories = serveService(deps.nc, serviceSubject(deps.cluster, 'catalog', 'categories'), deps.log, async (): Promise<CategoryNode[]> =>
    categoryTree(await deps.index.categoryCounts()));
  const tally = new QueryTally();
  const following = followSearches({ nc: deps.nc, cluster: deps.cluster, tally, log: deps.log })
    .catch((err: unknown) => {
      deps.log.warn({ err: String(err) }, 'query completions will not learn from past searches');
      return undefined;
    });
  const stopSuggest = serveService(deps.nc, serviceSubject(deps.cluster, 'catalog', 'suggest'), deps.log, async (raw) => {
    const req = raw as { q: string; limit: number };
    return runSuggest({ index: deps.index, tally, ...(deps.filter ? { filter: deps.filter } : {}) }, req.q, req.limit);
  });
  return async () => {
    await stopSearch();
    await stopCategories();
    await stopSuggest();
    await (await following)?.stop();
  };
}
