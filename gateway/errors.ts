// HTTP errors of the gateway and the one mapping from typed errors to statuses and the
// JSON body of API.md: { "error": { "code", "message", "details" } }.
import { ClusterError, RejectedError } from '../cluster/index.ts';
import { isRedisConnectionLoss, isRedisTimeout } from '../stores/redis/index.ts';

/** An error the gateway answers with as it is. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: 400 | 401 | 402 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 503,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown; requestId?: string };
}

/** Business refusals whose status is not 409 (the default for a rejection). */
const rejectionStatus: Record<string, HttpError['status']> = {
  reservation_not_found: 404,
  not_found: 404,
  unknown_sku: 404,
  line_not_found: 404,
  payment_declined: 402,
  invalid_credentials: 401,
  invalid_session: 401,
  quantity_limit: 422,
  cart_full: 422,
  currency_mismatch: 422,
  wishlist_full: 422,
  too_many_addresses: 422,
  stock_below_reserved: 422,
  address_not_found: 404,
  coupon_invalid: 422,
  cart_empty: 422,
  mixed_currency: 422,
  invalid_cursor: 400,
  unknown_warehouse: 422,
  unknown_cluster: 422,
  unknown_category: 422,
  feedback_full: 422,
  address_required: 422,
  undeliverable: 422,
  points_limit: 422,
  insufficient_points: 422,
  idempotency_key_reused: 422,
};

/** Maps any thrown value to a status, a body and headers; unknown ones are a 500. */
export function toHttp(err: unknown): { status: number; body: ErrorBody; headers: Record<string, string> } {
  // `details` is always there (null when there are none): API.md's shape names it, and a
  // client that reads error.details should not have to tell "absent" from "none".
  const body = (code: string, message: string, details?: unknown): ErrorBody => ({
    error: { code, message, details: details ?? null },
  });
  if (err instanceof HttpError) {
    const headers: Record<string, string> = err.retryAfterSeconds ? { 'Retry-After': String(err.retryAfterSeconds) } : {};
    return { status: err.status, body: body(err.code, err.message, err.details), headers };
  }
  if (err instanceof RejectedError) {
    return { status: rejectionStatus[err.code] ?? 409, body: body(err.code, err.message, err.data), headers: {} };
  }
  if (err instanceof ClusterError) {
    switch (err.code) {
      case 'invalid':
        return { status: 422, body: body('invalid', err.message, err.data), headers: {} };
      case 'overloaded':
        return { status: 503, body: body('overloaded', 'the service is shedding load; retry shortly'), headers: { 'Retry-After': '1' } };
      case 'unavailable':
      case 'timeout':
      case 'payment_pending':
        return { status: 503, body: body(err.code, err.message), headers: { 'Retry-After': '1' } };
      case 'outcome_unknown':
        // A write was sent and its answer lost (the database went away mid-commit): the
        // client must read before resending anything that is not idempotent. One that says
        // it is not retryable (a signup whose account exists: log in) invites no retry.
        return { status: 503, body: body('outcome_unknown', err.message), headers: err.retryable ? { 'Retry-After': '1' } : {} };
    }
  }
  // A Redis command past its timeout may still run when Redis answers again (ioredis only
  // stops waiting): the outcome is unknown, as for an ask without a reply.
  if (isRedisTimeout(err)) {
    return { status: 503, body: body('timeout', 'a dependency did not answer in time; the outcome is unknown'), headers: { 'Retry-After': '1' } };
  }
  // A dependency's connection failing (Redis, MariaDB) is "try again", not a bug.
  if (isConnectionError(err)) {
    return { status: 503, body: body('unavailable', 'a dependency is not reachable; retry shortly'), headers: { 'Retry-After': '1' } };
  }
  return { status: 500, body: body('internal', 'internal error'), headers: {} };
}

const connectionCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'PROTOCOL_CONNECTION_LOST', 'ER_CON_COUNT_ERROR', 'EPIPE',
  'PROTOCOL_SEQUENCE_TIMEOUT', 'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR', 'ER_SERVER_SHUTDOWN', 'ER_CONNECTION_KILLED', 'EHOSTUNREACH']);

function isConnectionError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && connectionCodes.has(code)) return true;
  return isRedisConnectionLoss(err);
}
