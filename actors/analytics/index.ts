// analytics — rolling counts from the event streams (searches, clickstream, orders),
// counted once per event, the admin reports over them, and the shopper signals the
// homepage reads.
export { RedisShopperSignals, type ShopperSignals } from './signals.ts';
export { AnalyticsReports, type TopSearches, type TopProducts, type RevenueReport } from './reports.ts';
export { AnalyticsKeys, ALL, type ProductMetric } from './keys.ts';
export { OnceOnlyApplier, seenPrefix, type Op, type EventOps, type OnceOnlyOptions } from './once-only.ts';
export { searchOps, clickOps, orderOps, trendingWeights } from './counters.ts';
export { asClickEvent, asSearchEvent, asOrderEvent, saleSign, clickTypes, type ClickEvent, type ClickType, type SearchEvent, type OrderEvent } from './events.ts';
export { windowBuckets, bucketOf, expireAtSec, normaliseQuery, MINUTE, HOUR, DAY, type Window, type Grain } from './windows.ts';
export { onceOnlyConsumer, type OnceOnlyConsumerOptions, type AnalyticsFailpoint } from './consumer.ts';
export { analyticsJobs, type AnalyticsJobDeps } from './jobs.ts';
export { Clickstream, type NewClickEvent } from './clickstream.ts';
