// Load shedding at the door: past `max` HTTP requests in progress, answer 503 with
// Retry-After at once instead of queueing work the cluster cannot take.
import type { MiddlewareHandler } from 'hono';
import type { GatewayEnv } from './env.ts';
import { HttpError } from './errors.ts';

export interface Shedder {
  middleware: MiddlewareHandler<GatewayEnv>;
  inflight(): number;
  /** A slot for a handler ahead of the chain: throws the 503 when full; call release() once done. */
  take(): void;
  release(): void;
}

const overloaded = () => new HttpError(503, 'overloaded', 'the gateway is at its limit of requests in progress; retry shortly', undefined, 1);

export function inflightBound(max: number): Shedder {
  let inflight = 0;
  const take = () => {
    if (inflight >= max) throw overloaded();
    inflight++;
  };
  const release = () => {
    inflight--;
  };
  return {
    inflight: () => inflight,
    take,
    release,
    middleware: async (_c, next) => {
      take();
      try {
        await next();
      } finally {
        release();
      }
    },
  };
}
