// catalog — supplier inbound (CATALOG stream), the item service (product documents), the
// per-node search indexer and search service, and the out-of-stock set.
export { productInput, checkProduct, parseNdjson, type ProductInput, type CatalogProduct, type CatalogEvent, type LineProblem } from './product.ts';
export { OutOfStockSet, outOfStockProjection } from './out-of-stock.ts';
export { itemService, applyCatalogEvents, republishLostProducts, productsCollection, type ItemServiceDeps } from './item-service.ts';
export { startIndexer, sharedIndexer, type IndexerDeps } from './indexer.ts';
export { ShopperFilter } from './shopper-filter.ts';
export { PopularityMirror, popularityJob, refreshPopularity, popularityKey, popularitySeededKey } from './popularity.ts';
export { QueryTally } from './query-tally.ts';
export { serveSearch, runSearch, runSuggest, encodeCursor, decodeCursor, cursorParts, searchList, type SearchRequest, type SearchPage, type SearchItem } from './search-service.ts';
export { categoryTree, type CategoryNode } from './categories.ts';
export { CatalogApi, type CatalogApiDeps, type ProductView } from './api.ts';
export { asyncSingleton } from './jobs.ts';
export { serveService, callService, serviceSubject } from './rpc.ts';
export { newestProducts } from './newest.ts';
export { announceProductChanges, followProductChanges, productsChangedSubject } from './product-changes.ts';
