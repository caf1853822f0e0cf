// The product search port: index catalog products, query them with fuzzy text, filters,
// sorts, facet counts and offset paging. Embedded (MiniSearch) by default, Elasticsearch
// when ELASTICSEARCH_URL is set; both pass the contract in contract.ts.

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

export type SearchSort = 'relevance' | 'price_asc' | 'price_desc' | 'newest';

export interface SearchQuery {
  /** Free text; empty or missing browses (every product matching the filters). */
  q?: string;
  /** A category path; matches the category and everything below it. */
  category?: string;
  brand?: string;
  minPrice?: number;
  maxPrice?: number;
  sort: SearchSort;
  /** Position in the ranked hits to start at, and how many to return. */
  offset: number;
  size: number;
}

export interface SearchHit {
  sku: string;
  score: number;
  product: IndexedProduct;
}

export interface Facets {
  /** Hits per (leaf) category, over every hit of the query and filters. */
  category: Record<string, number>;
  brand: Record<string, number>;
}

export interface SearchResult {
  hits: SearchHit[];
  /** Hits of the query and filters, all pages together. */
  total: number;
  facets: Facets;
}

export interface SearchIndex {
  readonly kind: 'embedded' | 'elasticsearch';
  upsert(products: IndexedProduct[]): Promise<void>;
  remove(skus: string[]): Promise<void>;
  search(query: SearchQuery): Promise<SearchResult>;
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
