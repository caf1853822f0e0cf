// The per-request values middleware hands to routes (Hono's `c.var`).
export interface GatewayEnv {
  Variables: {
    requestId: string;
    /** The caller's address, for rate limits and anonymous idempotency scopes. */
    clientIp: string;
    /** Set when a valid user bearer token came with the request. */
    userId?: string;
    /** sha256 of that token, for logout. */
    tokenHash?: string;
  };
}
