// cart:<userId> — a user's cart lines {sku, qty, price at add}, persisted to MariaDB before each reply.
export * from './messages.ts';
export { decideCart, cartView, defaultCurrency, type CartModel, type ProductInfo } from './state.ts';
export { cartEntity, type CartDeps } from './actor.ts';
export { CartApi, refusedAsUnknown } from './api.ts';
