// What an ioredis failure says about Redis, for the callers that act on it: the gateway's
// answer (errors.ts), the read-through cache's pass-over (suspect.ts) and the process's
// crash guard (app/crash-guard.ts).

function messageOf(err: unknown): string | undefined {
  const message = typeof err === 'object' && err !== null ? (err as { message?: unknown }).message : undefined;
  return typeof message === 'string' ? message : undefined;
}

/**
 * ioredis's "Command timed out" (commandTimeout), also as the message of an error from a
 * node: the command may still run when Redis answers again, so its outcome is unknown.
 */
export function isRedisTimeout(err: unknown): boolean {
  return /Command timed out/.test(messageOf(err) ?? '');
}

/** ioredis's own for a connection that is closed, cannot be written, or whose reconnects ran out. */
export function isRedisConnectionLoss(err: unknown): boolean {
  if (typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'MaxRetriesPerRequestError') return true;
  return /Connection is closed|max retries per request|Stream isn't writeable/i.test(messageOf(err) ?? '');
}
