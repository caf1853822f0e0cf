// MariaDB: the system of record.
export { createPool, databaseOf, withDatabase, withTransaction, type Pool, type PoolConnection } from './pool.ts';
export { migrate, dropDatabase } from './migrate.ts';
