// MariaDB: the system of record.
export { createPool, databaseOf, withDatabase, type Pool, type PoolConnection } from './pool.ts';
export { migrate, dropDatabase, schemaProblem, databaseIdentity, type SchemaProblem } from './migrate.ts';
export { claimEpoch, guard, type Fence } from './epochs.ts';
export {
  FencedWriteError, RetryableWriteError, atomically, writeAtomically, writeFailure, fencedTag, type Statement,
} from './writes.ts';
export { StoreUnavailableError, StoreOutcomeUnknownError, classifyStoreError, isConnectionError } from './errors.ts';
export { purgeInChunks, retentionSingleton, type PurgeLimits, type PurgeOptions } from './purge.ts';
export { Journal, DirectWriter, type Writer, type JournalOptions, type PartOutputs } from './journal.ts';
