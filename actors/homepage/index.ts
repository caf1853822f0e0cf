// homepage — regional pages per platform, built in the background into Redis by a singleton
// builder (also the one writer of region documents) and served by gateways from Redis alone,
// with a per-request `for_you` block.
export { platforms, isPlatform, regionPattern, defaultRegion, checkRegionDocument, builtInDefault, regionDocumentInput, type Platform, type RegionDocument, type RegionDocumentInput, type FieldProblem } from './document.ts';
export { isoCountries } from './countries.ts';
export { homepageKeys, homepageSubjects, type HomepageKeys } from './keys.ts';
export { assemblePage, appendBlock, builtInPage, underCategory, type HomePage, type Block, type PageProduct } from './page.ts';
export { NoSignals, type ShopperSignals } from './signals.ts';
export { ProductCards, type Card } from './cards.ts';
export { homepageBuilder, type HomepageBuilderDeps, type RebuildReason } from './builder.ts';
export { HomepageReader, etagOf, type ServedPage, type ServedSource, type HomepageReaderDeps } from './reader.ts';
export { HomepageApi } from './api.ts';
export { regionsCollection, type PutResult } from './writer.ts';
