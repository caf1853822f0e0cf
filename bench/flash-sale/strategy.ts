// The contract every flash-sale strategy implements, so the runner can drive the actor
// system and the database/cache baselines through exactly the same closed loop.

export interface SaleOutcome {
  /** false means rejected as sold out. */
  ok: boolean;
}

export interface Strategy {
  readonly name: string; // 'actor' | 'mysql-for-update' | 'mysql-conditional' | 'redis-lua' | 'redis-lua-fsync'
  readonly durable: boolean; // redis-lua is false
  /** Reset the SKU to `stock` units and clear earlier sales; called once before the sale. */
  setup(stock: number): Promise<void>;
  /** One buyer tries to take one unit. Resolves true when a unit was taken (acknowledged), false when sold out. Rejects on a real error. */
  buy(buyerId: number): Promise<boolean>;
  /** For durable strategies: how many sales the system of record holds after the sale (rows/units in MariaDB). */
  countDurable(): Promise<number | undefined>;
  /** Processes the strategy started (name → pid), whose CPU the bench reports with the servers'. */
  processes?(): Record<string, number>;
  close(): Promise<void>;
}

/** The one SKU every baseline sells; the actor strategy picks its own entity id. */
export const benchSku = 'flash-sale-sku';
