// The API's shapes as the storefront reads them (API.md); fields another branch adds are optional.

export type StockStatus = 'in_stock' | 'low' | 'out_of_stock';
export interface Delivery { eta: string; days: number }

export interface Product {
  sku: string;
  title: string;
  brand?: string;
  category?: string;
  price: number;
  currency: string;
  attributes?: Record<string, unknown>;
  stock?: { status: StockStatus } | StockStatus;
  delivery?: Delivery;
  score?: number;
}

export interface Page<T> { items: T[]; nextCursor: string | null }
export interface SearchPage extends Page<Product> {
  total: number;
  facets: { category?: Record<string, number>; brand?: Record<string, number>; attributes?: Record<string, Record<string, number>> };
}

export interface CategoryNode { slug: string; path: string; name: string; count: number; children: CategoryNode[] }

export interface Address {
  addressId: string; line1: string; city: string; region: string; country: string; postalCode: string; cluster?: string; isDefault: boolean;
}
export interface Me {
  userId: string; email: string; name: string; addresses: Address[]; defaultAddressId: string | null; rewardPoints: number;
  coupons: { code: string; description: string; discountPercent: number | null; amountOff: number | null; currency?: string | null; expiresAt: string | null }[];
}

/**
 * The most units of one product an order takes: the server's MAX_UNITS_PER_SKU, which the
 * API does not publish; 10 is its default. More in the cart could never be checked out.
 */
export const maxUnitsPerOrder = 10;

export interface CartLine {
  sku: string; qty: number; price: number; currency: string; title: string;
  /** The product was taken off sale: left out of the subtotal, refused at checkout. */
  unavailable?: true;
}
export interface Cart { items: CartLine[]; subtotal: number; currency: string }
export interface Wishlist { items: { sku: string; addedAt: string; title: string; price: number; currency?: string; unavailable?: true }[] }

export interface OrderLine { sku: string; qty: number; price: number; title: string; lineTotal?: number }
export interface Order {
  orderId: string; status: string; items: OrderLine[]; subtotal?: number; discount?: number; shipping?: number; pointsUsed?: number;
  total: number; currency: string; createdAt: string; paidAt?: string; reservedUntil?: string;
  address?: Partial<Address> | null; delivery?: Delivery; timeline?: OrderStep[];
  /** Every step, those within one status too (charging, declined, refunding); servers before it have only `timeline`. */
  steps?: OrderStep[];
}
export interface CheckoutAnswer { orderId: string; status: string; total: number; currency: string; reservedUntil: string }

export interface HomeBlock {
  kind: string; title?: string; products?: { sku: string; title: string; price: number; currency: string; stock?: StockStatus }[];
  banners?: { title?: string; imageUrl?: string; href?: string }[]; imageUrl?: string; href?: string;
}
export interface Homepage { region: string; platform: string; version: number; menu?: { title: string; category: string }[]; blocks: HomeBlock[] }

export interface OrderStep { at: string; status: string; state?: string; detail?: string }

/** One of the user's live sessions (GET /v1/me/sessions); `device` is its User-Agent, anyone's to choose. */
export interface SessionInfo { sessionId: string; device: string; createdAt: string; lastSeenAt: string; current: boolean }
