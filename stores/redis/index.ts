// Redis: caches and read models in front of the system of record.
export { ReadThroughCache, invalidateEntries, type CacheOptions } from './cache.ts';
export { noteRedisAnswer, noteRedisFailure, redisPassedOver, redisPassOverMs } from './suspect.ts';
export { isRedisConnectionLoss, isRedisTimeout } from './failures.ts';
export { luaScript, runScript } from './script.ts';
