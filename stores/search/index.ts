// Product search: the port, its two adapters, and the one place that picks between them.
import { ElasticSearchIndex } from './elastic.ts';
import { EmbeddedSearchIndex } from './embedded.ts';
import type { SearchIndex } from './port.ts';

export {
  inCategory, categoryPaths, attributeText, attributeValues, matchesAttributes, normalizeText, searchSorts,
  type IndexedProduct, type SearchIndex, type SearchQuery, type SearchResult, type SearchHit, type SearchSort, type Facets,
  type HitFilter, type Popularity, type Suggestion, type RankPlace, isRankPlace, rankedSorts,
} from './port.ts';
export { EmbeddedSearchIndex, exactFacetLimit } from './embedded.ts';
export { ElasticSearchIndex } from './elastic.ts';

/**
 * Elasticsearch when `elasticsearchUrl` is given (ELASTICSEARCH_URL; one index per cluster
 * name, shared by the nodes), otherwise an embedded index in this process.
 */
export async function openSearchIndex(opts: { elasticsearchUrl?: string | undefined; cluster: string }): Promise<SearchIndex> {
  if (!opts.elasticsearchUrl) return new EmbeddedSearchIndex();
  const index = new ElasticSearchIndex(opts.elasticsearchUrl, `${opts.cluster}-products`);
  await index.ensure();
  return index;
}
