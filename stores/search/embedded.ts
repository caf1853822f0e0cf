// The embedded search index: MiniSearch in this process (fuzzy, prefix, BM25 ranking),
// with filters, sorts and facets computed over the matching products held in memory.
// Ranked hits of recent queries are kept (LRU) until the index next changes, so paging
// and repeated queries cost a slice, not a search.
import MiniSearch, { type SearchResult as MsResult } from 'minisearch';
import {
  attributeText, categoryPaths, inCategory, type Facets, type IndexedProduct, type SearchHit, type SearchIndex, type SearchQuery, type SearchResult,
} from './port.ts';

type Entry = { product: IndexedProduct; score: number };

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
      // Only the last term is a prefix: the user is still typing it.
      prefix: (_term, i, terms) => i === terms.length - 1 && terms.length > 0,
      combineWith: 'AND',
    },
  });
}

const compare: Record<SearchQuery['sort'], (a: Entry, b: Entry) => number> = {
  relevance: (a, b) => b.score - a.score || (a.product.sku < b.product.sku ? -1 : 1),
  price_asc: (a, b) => a.product.price - b.product.price || (a.product.sku < b.product.sku ? -1 : 1),
  price_desc: (a, b) => b.product.price - a.product.price || (a.product.sku < b.product.sku ? -1 : 1),
  newest: (a, b) => b.product.createdAt - a.product.createdAt || (a.product.sku < b.product.sku ? -1 : 1),
};

export class EmbeddedSearchIndex implements SearchIndex {
  readonly kind = 'embedded' as const;
  private engine = newEngine();
  private readonly products = new Map<string, IndexedProduct>();
  /** Category path (every level) → SKUs, so browsing a category does not scan everything. */
  private readonly byCategory = new Map<string, Set<string>>();
  private readonly cache = new Map<string, { entries: Entry[]; facets: Facets }>();

  constructor(private readonly cacheSize = 2000) {}

  private unlink(p: IndexedProduct): void {
    for (const path of categoryPaths(p.category)) this.byCategory.get(path)?.delete(p.sku);
  }

  async upsert(products: IndexedProduct[]): Promise<void> {
    if (products.length > 0) this.cache.clear();
    for (const p of products) {
      const old = this.products.get(p.sku);
      if (old) {
        this.engine.discard(p.sku);
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
    if (skus.length > 0) this.cache.clear();
    for (const sku of skus) {
      const old = this.products.get(sku);
      if (!old) continue;
      this.products.delete(sku);
      this.unlink(old);
      this.engine.discard(sku);
    }
  }

  async search(query: SearchQuery): Promise<SearchResult> {
    const key = JSON.stringify([query.q?.trim().toLowerCase() ?? '', query.category, query.brand?.toLowerCase(), query.minPrice, query.maxPrice, query.sort]);
    let ranked = this.cache.get(key);
    if (ranked) {
      this.cache.delete(key);
    } else {
      ranked = this.rank(query);
      if (this.cache.size >= this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    }
    this.cache.set(key, ranked);
    const hits: SearchHit[] = ranked.entries.slice(query.offset, query.offset + query.size)
      .map((e) => ({ sku: e.product.sku, score: Math.round(e.score * 1000) / 1000, product: e.product }));
    return { hits, total: ranked.entries.length, facets: ranked.facets };
  }

  private rank(query: SearchQuery): { entries: Entry[]; facets: Facets } {
    const brand = query.brand?.toLowerCase();
    const keep = (p: IndexedProduct) =>
      (query.category === undefined || inCategory(p.category, query.category))
      && (brand === undefined || p.brand.toLowerCase() === brand)
      && (query.minPrice === undefined || p.price >= query.minPrice)
      && (query.maxPrice === undefined || p.price <= query.maxPrice);
    const entries: Entry[] = [];
    const text = query.q?.trim() ?? '';
    if (text === '') {
      if (query.category !== undefined) {
        for (const sku of this.byCategory.get(query.category) ?? []) {
          const p = this.products.get(sku)!;
          if (keep(p)) entries.push({ product: p, score: 1 });
        }
      } else {
        for (const p of this.products.values()) if (keep(p)) entries.push({ product: p, score: 1 });
      }
    } else {
      const found: MsResult[] = this.engine.search(text);
      for (const r of found) {
        const p = this.products.get(r.id as string);
        if (p && keep(p)) entries.push({ product: p, score: r.score });
      }
    }
    const facets: Facets = { category: {}, brand: {} };
    for (const { product: p } of entries) {
      facets.category[p.category] = (facets.category[p.category] ?? 0) + 1;
      facets.brand[p.brand] = (facets.brand[p.brand] ?? 0) + 1;
    }
    entries.sort(compare[query.sort]);
    return { entries, facets };
  }

  async categoryCounts(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const p of this.products.values()) out[p.category] = (out[p.category] ?? 0) + 1;
    return out;
  }

  async count(): Promise<number> {
    return this.products.size;
  }

  async clear(): Promise<void> {
    this.engine = newEngine();
    this.products.clear();
    this.byCategory.clear();
    this.cache.clear();
  }

  async close(): Promise<void> {
    await this.clear();
  }
}
