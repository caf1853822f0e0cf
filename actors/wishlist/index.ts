// wishlist — a user's saved SKUs (a stateless service over MariaDB with a Redis cache).
export { WishlistService, type WishlistDeps, type WishlistView, type WishlistItemView } from './service.ts';
