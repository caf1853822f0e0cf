// Redis: caches and read models in front of the system of record.
export { ReadThroughCache, type CacheOptions } from './cache.ts';
