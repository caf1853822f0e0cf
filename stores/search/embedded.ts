// The embedded search index: MiniSearch in this process (fuzzy, prefix, BM25 ranking),
// with filters, sorts and facets computed over the matching products held in memory.
// Ranked hits of recent queries are kept (LRU) until the index next changes, so paging
// and repeated queries cost a slice, not a search; what survives the shopper's stock and
// delivery filter is counted (total, facets) per filter version.
import MiniSearch, { type SearchResult as MsResult } from 'minisearch';
import {
  attributeText, attributeValues, categoryPaths, inCategory, matchesAttributes, normalizeText,
  rankedSorts, type Facets, type IndexedProduct, type RankPlace, type SearchHit, type SearchIndex, type SearchQuery, type SearchResult, type Suggestion,
} from './port.ts';
import { TitleSuggester } from './suggest.ts';

/** A ranked hit; `rank` is its index in the ranked list before the shopper's filter. */
type Entry = { product: IndexedProduct; score: number; rank: number };
type Counted = { entries: Entry[]; facets: Facets; facetsExact: boolean };

/** Most-recently-used cache lookup: a hit moves to the back, a miss evicts the oldest. */
function lruGet<V>(cache: Map<string, V>, key: string, size: number, make: () => V): V {
  let value = cache.get(key);
  if (value !== undefined) cache.delete(key);
  else {
    value = make();
    if (cache.size >= size) cache.delete(cache.keys().next().value!);
  }
  cache.set(key, value);
  return value;
}

/** Attribute facets stop at this many names and values per name, so one odd catalog cannot bloat a page. */
const maxFacetNames = 20;
const maxFacetValues = 30;

/**
 * Facets are counted over every hit up to this many; past it, over this many hits spread
 * evenly through the ranked list and scaled up. Walking every attribute of 25,000 hits
 * cost more than the text search itself, for counts a shopper reads as "about".
 */
export const exactFacetLimit = 5000;

function withFacets(entries: Entry[]): Counted {
  // Counted in Maps, made objects at the end with own properties only: names and values are
  // the catalog's (a brand "constructor", an attribute "toString", a value "__proto__"), and
  // counted in plain objects they read Object's members (counts such as
  // "function Object() { [native code] }1") or were dropped.
  const category = new Map<string, number>();
  const brand = new Map<string, number>();
  const attributes = new Map<string, Map<string, number>>();
  const step = entries.length > exactFacetLimit ? entries.length / exactFacetLimit : 1;
  for (let at = 0; at < entries.length; at += step) {
    const p = entries[Math.floor(at)]!.product;
    category.set(p.category, (category.get(p.category) ?? 0) + 1);
    brand.set(p.brand, (brand.get(p.brand) ?? 0) + 1);
    for (const [name, raw] of Object.entries(p.attributes)) {
      // A value search cannot filter on (null, a nested object) names no facet: it showed
      // as an attribute with no values.
      const own = attributeValues(raw);
      if (own.length === 0) continue;
      let values = attributes.get(name);
      if (!values) {
        if (attributes.size >= maxFacetNames) continue;
        attributes.set(name, (values = new Map()));
      }
      for (const v of own) {
        if (!values.has(v) && values.size >= maxFacetValues) continue;
        values.set(v, (values.get(v) ?? 0) + 1);
      }
    }
  }
  const facets: Facets = {
    category: Object.fromEntries(category), brand: Object.fromEntries(brand),
    attributes: Object.fromEntries([...attributes].map(([name, values]) => [name, Object.fromEntries(values)])),
  };
  if (step > 1) scaleFacets(facets, step, entries.length);
  return { entries, facets, facetsExact: step === 1 };
}

/** Sampled counts times the sampling step, each at least 1 (it was seen) and at most the total. */
function scaleFacets(facets: Facets, step: number, total: number): void {
  const scale = (counts: Record<string, number>) => {
    for (const k of Object.keys(counts)) counts[k] = Math.min(total, Math.max(1, Math.round(counts[k]! * step)));
  };
  scale(facets.category);
  scale(facets.brand);
  for (const values of Object.values(facets.attributes)) scale(values);
}

function newEngine(): MiniSearch<IndexedProduct> {
  return new MiniSearch<IndexedProduct>({
    idField: 'sku',
    fields: ['title', 'brand', 'category', 'attrs'],
    extractField: (doc, field) => {
      if (field === 'attrs') return attributeText(doc.attributes);
      if (field === 'category') return doc.category.replace(/[/_-]/g, ' ');
      return String((doc as unknown as Record<string, unknown>)[field] ?? '');
    },
    searchOptions: {
      boost: { title: 3, brand: 2, category: 1.5 },
      // One typo per term of 4+ letters, two for long words; short words must be exact.
      fuzzy: (term) => (term.length >= 4 ? 0.2 : false),
      // Only the last term is a prefix: the user is still typing it. A one-letter prefix
      // matched a good part of the vocabulary and made a query 10x slower for nothing.
      prefix: (term, i, terms) => i === terms.length - 1 && term.length >= 2,
      combineWith: 'AND',
    },
  });
}

const compare: Record<Exclude<SearchQuery['sort'], 'popular'>, (a: Entry, b: Entry) => number> = {
  relevance: (a, b) => b.score - a.score || (a.product.sku < b.product.sku ? -1 : 1),
  price_asc: (a, b) => a.product.price - b.product.price || (a.product.sku < b.product.sku ? -1 : 1),
  price_desc: (a, b) => b.product.price - a.product.price || (a.product.sku < b.product.sku ? -1 : 1),
  newest: (a, b) => b.product.createdAt - a.product.createdAt || (a.product.sku < b.product.sku ? -1 : 1),
};

/**
 * A hit's place. By price or date: its sort values as a tuple that sorts ascending in the
 * order `rank` gives (descending keys negated, the SKU last), found again by bisection.
 * By relevance (and popular, whose ties go by relevance): its rank and SKU, since a score
 * moves whenever the catalog does (see `firstAfter`).
 */
function placeOf(e: Entry, query: SearchQuery): RankPlace {
  const sku = e.product.sku;
  switch (query.sort) {
    case 'relevance':
    case 'popular': return [e.rank, sku];
    case 'price_asc': return [e.product.price, sku];
    case 'price_desc': return [-e.product.price, sku];
    case 'newest': return [-e.product.createdAt, sku];
  }
}

/** The order of two places: by their number, then by SKU. */
function comparePlaces([a, skuA]: RankPlace, [b, skuB]: RankPlace): number {
  return a - b || (skuA === skuB ? 0 : skuA < skuB ? -1 : 1);
}

/** The index of the first of `entries` (in `rank`'s order) for which `past` holds; every later one holds it too. */
function bisect(entries: Entry[], past: (e: Entry) => boolean): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (past(entries[mid]!)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export class EmbeddedSearchIndex implements SearchIndex {
  readonly kind = 'embedded' as const;
  private engine = newEngine();
  private readonly products = new Map<string, IndexedProduct>();
  /** Category path (every level) → SKUs, so browsing a category does not scan everything. */
  private readonly byCategory = new Map<string, Set<string>>();
  /** Ranked hits of recent queries, before the shopper's filter. */
  private readonly cache = new Map<string, Entry[]>();
  /** Hits that survived a filter version, with their facets. */
  private readonly counted = new Map<string, Counted>();
  /** SKU → rank in a ranked list, made when a page after a place first needs it. */
  private readonly ranks = new WeakMap<Entry[], Map<string, number>>();
  private titles: TitleSuggester | undefined;
  private titlesDirty = false;
  private titlesBuiltAt = 0;

  constructor(private readonly cacheSize = 2000) {}

  private unlink(p: IndexedProduct): void {
    for (const path of categoryPaths(p.category)) this.byCategory.get(path)?.delete(p.sku);
  }

  private changed(): void {
    this.cache.clear();
    this.counted.clear();
    this.titlesDirty = true;
  }

  async upsert(products: IndexedProduct[]): Promise<void> {
    if (products.length > 0) this.changed();
    for (const p of products) {
      const old = this.products.get(p.sku);
      if (old) {
        // Removed at once, not discarded: MiniSearch cleans a discarded document up lazily,
        // in the middle of a later search, so tied products split into two score groups by
        // internal id and the ranking reordered; a page going on after a SKU's rank would
        // repeat or skip whole pages. `old` is the document as it was indexed.
        this.engine.remove(old);
        this.unlink(old);
      }
      this.products.set(p.sku, p);
      for (const path of categoryPaths(p.category)) {
        let set = this.byCategory.get(path);
        if (!set) this.byCategory.set(path, (set = new Set()));
        set.add(p.sku);
      }
      this.engine.add(p);
    }
  }

  async remove(skus: string[]): Promise<void> {
    if (skus.length > 0) this.changed();
    for (const sku of skus) {
      const old = this.products.get(sku);
      if (!old) continue;
      this.products.delete(sku);
      this.unlink(old);
      this.engine.remove(old);
    }
  }

  async search(query: SearchQuery): Promise<SearchResult> {
    const key = JSON.stringify([
      query.q ? normalizeText(query.q) : '', query.category, query.brand?.toLowerCase(), query.minPrice, query.maxPrice, query.sort,
      query.attributes ? Object.entries(query.attributes).map(([k, v]) => [k.toLowerCase(), v.map((x) => x.toLowerCase()).sort()]).sort() : null,
      query.sort === 'popular' ? query.popularity?.version ?? '' : '',
    ]);
    const ranked = lruGet(this.cache, key, this.cacheSize, () => this.rank(query));
    // What survives the shopper's filter (stock, delivery) is counted per filter version.
    const counted = query.accept
      ? lruGet(this.counted, `${key}|${query.accept.version}`, this.cacheSize, () => withFacets(ranked.filter((e) => query.accept!.accepts(e.product.sku))))
      : lruGet(this.counted, key, this.cacheSize, () => withFacets(ranked));
    const start = (query.after ? this.firstAfter(ranked, counted.entries, query.after, query) : 0) + query.offset;
    const hits: SearchHit[] = counted.entries.slice(start, start + query.size)
      .map((e) => ({ sku: e.product.sku, score: Math.round(e.score * 1000) / 1000, place: placeOf(e, query), product: e.product }));
    return { hits, total: counted.entries.length, facets: counted.facets, facetsExact: counted.facetsExact };
  }

  /**
   * Where the hits after `after` begin in `entries` (`ranked`, filtered). By relevance a
   * score moves whenever the catalog changes (every product added or removed moves every
   * IDF), so the page goes on after the place's SKU at its rank in today's ranking; when
   * that SKU has left, at the rank it had (one hit early or late for each other product
   * that left or came above it meanwhile). Prices and dates stay put: found by value.
   */
  private firstAfter(ranked: Entry[], entries: Entry[], after: RankPlace, query: SearchQuery): number {
    if (rankedSorts.has(query.sort)) {
      const [rank, sku] = after;
      const at = this.rankOf(ranked, sku, rank);
      // The SKU gone from the ranking: what followed it now stands at the rank it had.
      return at !== undefined ? bisect(entries, (e) => e.rank > at) : bisect(entries, (e) => e.rank >= rank);
    }
    return bisect(entries, (e) => comparePlaces(placeOf(e, query), after) > 0);
  }

  /** `sku`'s rank in `ranked`, looked for first at `hint`: usually the ranking is the one the place came from. */
  private rankOf(ranked: Entry[], sku: string, hint: number): number | undefined {
    if (ranked[hint]?.product.sku === sku) return hint;
    let ranks = this.ranks.get(ranked);
    if (!ranks) this.ranks.set(ranked, (ranks = new Map(ranked.map((e) => [e.product.sku, e.rank]))));
    return ranks.get(sku);
  }

  private rank(query: SearchQuery): Entry[] {
    const brand = query.brand?.toLowerCase();
    const keep = (p: IndexedProduct) =>
      (query.category === undefined || inCategory(p.category, query.category))
      && (brand === undefined || p.brand.toLowerCase() === brand)
      && (query.minPrice === undefined || p.price >= query.minPrice)
      && (query.maxPrice === undefined || p.price <= query.maxPrice)
      && matchesAttributes(p.attributes, query.attributes);
    const entries: Entry[] = [];
    const text = query.q?.trim() ?? '';
    if (text === '') {
      if (query.category !== undefined) {
        for (const sku of this.byCategory.get(query.category) ?? []) {
          const p = this.products.get(sku)!;
          if (keep(p)) entries.push({ product: p, score: 1, rank: 0 });
        }
      } else {
        for (const p of this.products.values()) if (keep(p)) entries.push({ product: p, score: 1, rank: 0 });
      }
    } else {
      const found: MsResult[] = this.engine.search(text);
      for (const r of found) {
        const p = this.products.get(r.id as string);
        if (p && keep(p)) entries.push({ product: p, score: r.score, rank: 0 });
      }
    }
    if (query.sort === 'popular') {
      const units = query.popularity;
      const of = (e: Entry) => units?.of(e.product.sku) ?? 0;
      entries.sort((a, b) => of(b) - of(a) || compare.relevance(a, b));
    } else {
      entries.sort(compare[query.sort]);
    }
    for (let i = 0; i < entries.length; i++) entries[i]!.rank = i;
    return entries;
  }

  async suggest(prefix: string, limit: number, accepts?: (sku: string) => boolean): Promise<Suggestion[]> {
    return this.suggester().complete(normalizeText(prefix), limit, accepts);
  }

  /** The completion index, rebuilt at most once a second after the catalog changed. */
  private suggester(): TitleSuggester {
    const now = Date.now();
    if (!this.titles || (this.titlesDirty && now - this.titlesBuiltAt >= 1000)) {
      this.titles = new TitleSuggester(this.products.values());
      this.titlesDirty = false;
      this.titlesBuiltAt = now;
    }
    return this.titles;
  }

  async categoryCounts(): Promise<Record<string, number>> {
    // A Map first, as in withFacets: a category path is the catalog's, not a member of Object.
    const out = new Map<string, number>();
    for (const p of this.products.values()) out.set(p.category, (out.get(p.category) ?? 0) + 1);
    return Object.fromEntries(out);
  }

  async count(): Promise<number> {
    return this.products.size;
  }

  async clear(): Promise<void> {
    this.engine = newEngine();
    this.products.clear();
    this.byCategory.clear();
    this.changed();
    this.titles = undefined;
  }

  async close(): Promise<void> {
    await this.clear();
  }
}
