// The product search port: index catalog products, query them with fuzzy text, filters,
// sorts, facet counts, and paging by offset or by a hit's place in the ranking. Embedded
// (MiniSearch) by default, Elasticsearch when ELASTICSEARCH_URL is set; both pass the
// contract in contract.ts.
import { controlCharacters } from '../unicode.ts';

/** What the index holds per product (the catalog document). */
export interface IndexedProduct {
  sku: string;
  title: string;
  brand: string;
  /** A slash path of slugs, e.g. "electronics/audio/headphones". */
  category: string;
  /** Minor units. */
  price: number;
  currency: string;
  supplierId: string;
  attributes: Record<string, unknown>;
  /** ms since the epoch when first onboarded ("newest" sorts on it). */
  createdAt: number;
  updatedAt: number;
}

export type SearchSort = 'relevance' | 'price_asc' | 'price_desc' | 'newest' | 'popular';

export const searchSorts: readonly SearchSort[] = ['relevance', 'price_asc', 'price_desc', 'newest', 'popular'];

/**
 * Which hits the shopper can act on (in stock, deliverable to them). The index applies it
 * before counting, so `total` and the facets count only what survives; `version` changes
 * whenever the answers may, so an index may cache per version.
 */
export interface HitFilter {
  readonly version: string;
  accepts(sku: string): boolean;
}

/** Units sold per SKU over the last 7 days, for sort=popular. */
export interface Popularity {
  readonly version: string;
  of(sku: string): number;
}

export interface SearchQuery {
  /** Free text; empty or missing browses (every product matching the filters). */
  q?: string;
  /** A category path; matches the category and everything below it. */
  category?: string;
  brand?: string;
  minPrice?: number;
  maxPrice?: number;
  /** Attribute filters: each named attribute must equal one of its values (case-insensitive). */
  attributes?: Record<string, string[]>;
  sort: SearchSort;
  /** Leaves out hits the shopper cannot buy, before counting (see HitFilter). */
  accept?: HitFilter;
  /** Needed by sort=popular; without it every SKU counts as unsold. */
  popularity?: Popularity;
  /**
   * Only hits ranked after this place (a hit's `place`, as the index gave it). Paging by
   * place rather than by offset: a hit that leaves the filter or the index between two
   * pages shifts no later hit past the shopper, as an offset would.
   */
  after?: RankPlace;
  /** Hits to skip (0 with `after`: Elasticsearch cannot skip past a place), and how many to return. */
  offset: number;
  size: number;
}

/**
 * Where a hit sits in its ranking: a number (its sort value, or its rank where the sort is
 * by relevance) and its SKU. Opaque outside the index that made it; it travels in search
 * cursors, so it is shape-checked (`isRankPlace`) and never trusted further.
 */
export type RankPlace = [number, string];

/** A place as a cursor may carry it: a finite number and a SKU-sized string. */
export function isRankPlace(v: unknown): v is RankPlace {
  return Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && Number.isFinite(v[0]) && typeof v[1] === 'string' && v[1].length <= 256;
}

/** Sorts whose places hold a rank, not a sort value: relevance scores move whenever the catalog does. */
export const rankedSorts: ReadonlySet<SearchSort> = new Set(['relevance', 'popular']);

export interface SearchHit {
  sku: string;
  score: number;
  /** Pass as `after` to go on after this hit. */
  place: RankPlace;
  product: IndexedProduct;
}

export interface Facets {
  /** Hits per (leaf) category, over every hit of the query and filters. */
  category: Record<string, number>;
  brand: Record<string, number>;
  /** Attribute name → value → hits (string, number and boolean values; arrays count each element). */
  attributes: Record<string, Record<string, number>>;
}

/** A completion for what the user is typing. */
export interface Suggestion {
  text: string;
  kind: 'query' | 'product' | 'category';
}

export interface SearchResult {
  hits: SearchHit[];
  /** Hits of the query and filters, all pages together. */
  total: number;
  facets: Facets;
  /**
   * False when the facets were counted over an even sample of a very large result set and
   * scaled (see the index); `total` is always exact for the embedded index.
   */
  facetsExact: boolean;
}

export interface SearchIndex {
  readonly kind: 'embedded' | 'elasticsearch';
  upsert(products: IndexedProduct[]): Promise<void>;
  remove(skus: string[]): Promise<void>;
  search(query: SearchQuery): Promise<SearchResult>;
  /** Product titles and categories that complete `prefix` (lower-cased, trimmed), best first. */
  /** Completions of `prefix`; with `accepts`, products only where a SKU passes it (the shopper filter). */
  suggest(prefix: string, limit: number, accepts?: (sku: string) => boolean): Promise<Suggestion[]>;
  /** Category → product count over the whole index (for the category tree). */
  categoryCounts(): Promise<Record<string, number>>;
  count(): Promise<number>;
  /** Empties the index (a rebuild starts here). */
  clear(): Promise<void>;
  close(): Promise<void>;
}

/** True when `category` is `filter` or below it. */
export function inCategory(category: string, filter: string): boolean {
  return category === filter || category.startsWith(`${filter}/`);
}

/** Every ancestor path of a category, itself included: "a/b/c" → ["a", "a/b", "a/b/c"]. */
export function categoryPaths(category: string): string[] {
  const parts = category.split('/');
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}

/** Attribute values as text, so "bluetooth" or "cotton" find products by their attributes. */
export function attributeText(attributes: Record<string, unknown>): string {
  const out: string[] = [];
  for (const v of Object.values(attributes)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out.push(String(v));
    else if (Array.isArray(v)) for (const x of v) if (typeof x === 'string' || typeof x === 'number') out.push(String(x));
  }
  return out.join(' ');
}

/** Attribute values as filterable/facetable strings: scalars as text, arrays element by element. */
export function attributeValues(value: unknown): string[] {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return [String(value)];
  if (Array.isArray(value)) return value.filter((x) => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean').map(String);
  return [];
}

/** The value of the attribute whose name is `name` in another case, if any (names compare case-insensitively). */
function attributeNamedLike(attributes: Record<string, unknown>, name: string): unknown {
  const wanted = name.toLowerCase();
  for (const key in attributes) if (key.toLowerCase() === wanted) return attributes[key];
  return undefined;
}

/** True when every attribute filter has a matching value on the product. */
export function matchesAttributes(attributes: Record<string, unknown>, filters: Record<string, string[]> | undefined): boolean {
  if (!filters) return true;
  for (const [name, wanted] of Object.entries(filters)) {
    // An own property only: `constructor` or `toString` read from the prototype is no attribute.
    const have = attributeValues((Object.hasOwn(attributes, name) ? attributes[name] : undefined) ?? attributeNamedLike(attributes, name)).map((v) => v.toLowerCase());
    if (!wanted.some((w) => have.includes(w.toLowerCase()))) return false;
  }
  return true;
}

/** Lower-case, trimmed, inner white space collapsed: how queries and prefixes are compared. */
// Control characters count as white space: a query with a NUL or an escape sequence had
// been offered as a completion to every shopper typing its start.
export const normalizeText = (text: string): string => text.replace(controlCharacters, ' ').toLowerCase().trim().replace(/\s+/g, ' ');
