// MariaDB: the system of record.
export { createPool, databaseOf, withDatabase, withTransaction, type Pool, type PoolConnection } from './pool.ts';
export { migrate, dropDatabase } from './migrate.ts';
export { Journal, DirectWriter, type Writer, type JournalOptions, type PartOutputs } from './journal.ts';
