// The Elasticsearch search index (@elastic/elasticsearch 8), chosen when ELASTICSEARCH_URL is
// set: a mapping with an edge-n-gram analyzer for prefixes, bulk indexing, fuzzy
// multi_match, term/range filters, sorts, and terms aggregations for the facets.
import { Client, type estypes } from '@elastic/elasticsearch';
import { InvalidError } from '../../cluster/errors.ts';
import {
  attributeText, attributeValues, categoryPaths, normalizeText, rankedSorts,
  type IndexedProduct, type RankPlace, type SearchIndex, type SearchQuery, type SearchResult, type Suggestion,
} from './port.ts';

/** Elasticsearch's default index.max_result_window: `from + size` may not pass it. */
const maxResultWindow = 10_000;

/**
 * How a query pages. By price or date, a place is the hit's sort values and the next page
 * is Elasticsearch's `search_after` them: a product that leaves the index moves no later
 * one. A relevance score moves whenever the index changes (a document added changes every
 * IDF), so by relevance a place is the position after the hit in the unfiltered ranking: the
 * shopper's stock and delivery filter applies live, after this index, so stock changes
 * shift nothing here; a catalog change between pages can (a point in time would hold it,
 * but its id does not fit in a cursor).
 */
function pagingOf(query: SearchQuery): { from: number; searchAfter?: estypes.SortResults; scored: boolean } {
  const scored = rankedSorts.has(query.sort);
  const after = query.after;
  if (!after) return { from: query.offset, scored };
  if (query.offset !== 0) throw new Error('a search after a place starts there: offset must be 0');
  if (!scored) return { from: 0, searchAfter: after, scored };
  const [position] = after;
  if (!Number.isInteger(position) || position < 0) throw new InvalidError('cursor is not one this API gave out');
  return { from: position, scored };
}

/** "color=blue" → 7 buckets into { color: { blue: 7 } }. */
function splitPairs(counts: Record<string, number>): Record<string, Record<string, number>> {
  // A Map first: an attribute named "constructor" read Object's own member from a plain object.
  const out = new Map<string, [string, number][]>();
  for (const [pair, n] of Object.entries(counts)) {
    const at = pair.indexOf('=');
    const name = pair.slice(0, at);
    let values = out.get(name);
    if (!values) out.set(name, (values = []));
    values.push([pair.slice(at + 1), n]);
  }
  return Object.fromEntries([...out].map(([name, values]) => [name, Object.fromEntries(values)]));
}

interface EsDoc extends IndexedProduct {
  attrs: string;
  categoryPath: string[];
  brandKey: string;
  /** "name=value" lower-cased, for attribute filters. */
  attrKey: string[];
  /** "name=value" as given, for attribute facets. */
  attrFacet: string[];
}

function attributePairs(attributes: Record<string, unknown>): string[] {
  return Object.entries(attributes).flatMap(([name, v]) => attributeValues(v).map((x) => `${name}=${x}`));
}

const settings = {
  analysis: {
    filter: { prefix_grams: { type: 'edge_ngram', min_gram: 2, max_gram: 15 } },
    analyzer: {
      text: { type: 'custom', tokenizer: 'standard', filter: ['lowercase', 'asciifolding'] },
      text_prefix: { type: 'custom', tokenizer: 'standard', filter: ['lowercase', 'asciifolding', 'prefix_grams'] },
    },
  },
} as const;

const mappings = {
  dynamic: false,
  properties: {
    sku: { type: 'keyword' },
    title: { type: 'text', analyzer: 'text', fields: { prefix: { type: 'text', analyzer: 'text_prefix', search_analyzer: 'text' } } },
    brand: { type: 'text', analyzer: 'text', fields: { raw: { type: 'keyword' } } },
    brandKey: { type: 'keyword' },
    category: { type: 'keyword', fields: { text: { type: 'text', analyzer: 'text' } } },
    categoryPath: { type: 'keyword' },
    attrs: { type: 'text', analyzer: 'text' },
    price: { type: 'long' },
    currency: { type: 'keyword' },
    supplierId: { type: 'keyword' },
    createdAt: { type: 'date', format: 'epoch_millis' },
    updatedAt: { type: 'date', format: 'epoch_millis' },
    attributes: { type: 'object', enabled: false },
    attrKey: { type: 'keyword' },
    attrFacet: { type: 'keyword' },
  },
} as const;

export class ElasticSearchIndex implements SearchIndex {
  readonly kind = 'elasticsearch' as const;
  private readonly client: Client;

  /** `index` is the index name; the cluster name keeps deployments (and test suites) apart. */
  constructor(url: string, private readonly index: string) {
    this.client = new Client({ node: url });
  }

  /** Creates the index with its mapping when missing. */
  async ensure(): Promise<void> {
    if (await this.client.indices.exists({ index: this.index })) return;
    // The literal mapping is checked by the server; the client's types are stricter than needed.
    await this.client.indices.create({ index: this.index, settings, mappings } as unknown as Parameters<Client['indices']['create']>[0]);
  }

  async upsert(products: IndexedProduct[]): Promise<void> {
    if (products.length === 0) return;
    await this.ensure();
    const operations = products.flatMap((p) => {
      const pairs = attributePairs(p.attributes);
      const doc: EsDoc = {
        ...p, attrs: attributeText(p.attributes), categoryPath: categoryPaths(p.category), brandKey: p.brand.toLowerCase(),
        attrKey: pairs.map((x) => x.toLowerCase()), attrFacet: pairs,
      };
      return [{ index: { _index: this.index, _id: p.sku } }, doc];
    });
    const res = await this.client.bulk({ operations, refresh: 'wait_for' });
    if (res.errors) {
      const first = res.items.find((i) => i.index?.error)?.index?.error;
      throw new Error(`elasticsearch bulk indexing failed: ${first?.reason ?? 'unknown reason'}`);
    }
  }

  async remove(skus: string[]): Promise<void> {
    if (skus.length === 0) return;
    await this.client.bulk({ operations: skus.map((sku) => ({ delete: { _index: this.index, _id: sku } })), refresh: 'wait_for' });
  }

  async search(query: SearchQuery): Promise<SearchResult> {
    await this.ensure();
    const filter: estypes.QueryDslQueryContainer[] = [];
    if (query.category !== undefined) filter.push({ term: { categoryPath: query.category } });
    if (query.brand !== undefined) filter.push({ term: { brandKey: query.brand.toLowerCase() } });
    if (query.minPrice !== undefined || query.maxPrice !== undefined) {
      filter.push({ range: { price: { ...(query.minPrice !== undefined ? { gte: query.minPrice } : {}), ...(query.maxPrice !== undefined ? { lte: query.maxPrice } : {}) } } });
    }
    for (const [name, values] of Object.entries(query.attributes ?? {})) {
      filter.push({ terms: { attrKey: values.map((v) => `${name}=${v}`.toLowerCase()) } });
    }
    const text = query.q?.trim() ?? '';
    const must: estypes.QueryDslQueryContainer[] = text === ''
      ? [{ match_all: {} }]
      : [{
        bool: {
          should: [
            { multi_match: { query: text, fields: ['title^3', 'brand^2', 'category.text^1.5', 'attrs'], fuzziness: 'AUTO', prefix_length: 1, operator: 'and' } },
            { match: { 'title.prefix': { query: text, operator: 'and' } } },
          ],
          minimum_should_match: 1,
        },
      }];
    // The shared index holds no sales figures, and the shopper's stock/delivery filter is a
    // function of this node's read models: sort=popular ranks by relevance here, and the
    // caller drops unbuyable hits page by page (counts include them; see docs/search.md).
    const sort: estypes.Sort = {
      relevance: [{ _score: 'desc' }, { sku: 'asc' }],
      popular: [{ _score: 'desc' }, { sku: 'asc' }],
      price_asc: [{ price: 'asc' }, { sku: 'asc' }],
      price_desc: [{ price: 'desc' }, { sku: 'asc' }],
      newest: [{ createdAt: 'desc' }, { sku: 'asc' }],
    }[query.sort] as estypes.Sort;
    const paging = pagingOf(query);
    const { searchAfter, scored } = paging;
    // Elasticsearch refuses `from + size` past its result window: a page there has no hits
    // (and still its total and facets), never a refused query.
    const from = Math.min(paging.from, maxResultWindow);
    const res = await this.client.search<EsDoc>({
      index: this.index,
      from,
      size: Math.min(query.size, maxResultWindow - from),
      ...(searchAfter ? { search_after: searchAfter } : {}),
      track_total_hits: true,
      query: { bool: { must, filter } },
      sort,
      aggs: {
        category: { terms: { field: 'category', size: 200 } },
        brand: { terms: { field: 'brand.raw', size: 200 } },
        attributes: { terms: { field: 'attrFacet', size: 600 } },
      },
    });
    const buckets = (name: string): Record<string, number> => {
      const agg = res.aggregations?.[name] as { buckets?: { key: string; doc_count: number }[] } | undefined;
      return Object.fromEntries((agg?.buckets ?? []).map((b) => [b.key, b.doc_count]));
    };
    const total = typeof res.hits.total === 'number' ? res.hits.total : res.hits.total?.value ?? 0;
    return {
      hits: res.hits.hits.map((h, i) => {
        const { attrs: _a, categoryPath: _c, brandKey: _b, attrKey: _k, attrFacet: _f, ...product } = h._source!;
        const place = (scored ? [from + i + 1, product.sku] : h.sort) as RankPlace;
        return { sku: product.sku, score: Math.round((h._score ?? 1) * 1000) / 1000, place, product };
      }),
      total,
      facets: { category: buckets('category'), brand: buckets('brand'), attributes: splitPairs(buckets('attributes')) },
      // The shared index cannot see a node's stock and delivery mirrors: its counts include what the shopper cannot buy.
      facetsExact: query.accept === undefined,
    };
  }

  async suggest(prefix: string, limit: number, accepts?: (sku: string) => boolean): Promise<Suggestion[]> {
    await this.ensure();
    const text = normalizeText(prefix);
    if (text === '') return [];
    const res = await this.client.search<EsDoc>({
      index: this.index,
      // More than asked when some will be dropped as not buyable (the filter lives here, after the index).
      size: accepts ? limit * 4 : limit,
      _source: ['title', 'sku'],
      query: { match: { 'title.prefix': { query: text, operator: 'and' } } },
      aggs: { categories: { terms: { field: 'categoryPath', size: 2, include: `(.*/)?${text.replace(/[^a-z0-9 -]/g, '').replace(/ /g, '[-_ ]')}.*` } } },
    });
    const cats = (res.aggregations?.categories as { buckets?: { key: string }[] } | undefined)?.buckets ?? [];
    const out: Suggestion[] = cats.map((b) => ({ text: b.key, kind: 'category' as const }));
    const titles = new Set<string>();
    for (const h of res.hits.hits) {
      if (!h._source || out.length >= limit || titles.has(h._source.title) || (accepts && !accepts(h._source.sku))) continue;
      titles.add(h._source.title);
      out.push({ text: h._source.title, kind: 'product' });
    }
    return out;
  }

  async categoryCounts(): Promise<Record<string, number>> {
    await this.ensure();
    const res = await this.client.search({ index: this.index, size: 0, aggs: { category: { terms: { field: 'category', size: 10_000 } } } });
    const agg = res.aggregations?.category as { buckets?: { key: string; doc_count: number }[] } | undefined;
    return Object.fromEntries((agg?.buckets ?? []).map((b) => [b.key, b.doc_count]));
  }

  async count(): Promise<number> {
    await this.ensure();
    return (await this.client.count({ index: this.index })).count;
  }

  async clear(): Promise<void> {
    await this.client.indices.delete({ index: this.index, ignore_unavailable: true });
    await this.ensure();
  }

  /** Deletes the index (tests). */
  async drop(): Promise<void> {
    await this.client.indices.delete({ index: this.index, ignore_unavailable: true });
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
