// inventory:<sku> — stock per warehouse and reservations, one actor per SKU, group-committed to MariaDB.
export * from './messages.ts';
export { decide, takeWrites, newModel, view, type InventoryModel, type InventoryEvent, type WriteSet } from './state.ts';
export { inventoryEntity, InventoryEntity, type InventoryDeps } from './actor.ts';
export { expirySweeper, sweepOnce } from './sweeper.ts';
export { InventoryApi } from './api.ts';
export { stockStatus, lowStockThreshold } from './state.ts';
