// A Redis that just failed a command for want of an answer (a command timeout: it hangs;
// or a connection that is closed or refused) is passed over by the callers that do as well
// without it: the read-through cache reads the database. After a pause, one caller at a
// time tries Redis again (the probe) while the others are still passed over; a probe that
// gets an answer ends it, one that fails starts another pause. So a hung Redis costs one
// command timeout (REDIS_COMMAND_TIMEOUT_MS) per client and pause, not one per read.
//
// Not the idempotency claims: refused at once, a keyed POST is a 503 either way, but while
// Redis restarts (3 s in `npm run chaos`), claims that wait in ioredis' offline queue
// succeed once it is back; refusing them fast turned 8 failed pays into 43.

import { isRedisConnectionLoss, isRedisTimeout } from './failures.ts';

/** How long a Redis client is passed over after such a failure, before a probe. */
export const redisPassOverMs = 1000;
/** A probe that never said how it went (its caller failed otherwise) stops counting after this. */
const probeLapseMs = 10_000;

// performance.now(): a wall clock stepped back would otherwise stretch a pause.
interface PassOver {
  /** Passed over until then; after it, one probe at a time. */
  until: number;
  /** When the probe in flight, if any, was let through. */
  probeAt: number | undefined;
}

const passOvers = new WeakMap<object, PassOver>();

/** A failure that says Redis did not answer or cannot be reached (not a refusal of a command). */
function unreachable(err: unknown): boolean {
  return isRedisTimeout(err) || isRedisConnectionLoss(err);
}

/**
 * Whether to do without `redis` now. False when it is in good standing, or for the one
 * caller let through as the probe, which must report with noteRedisAnswer or
 * noteRedisFailure.
 */
export function redisPassedOver(redis: object, now = performance.now()): boolean {
  if (redisPaused(redis, now)) return true;
  const p = passOvers.get(redis);
  if (p !== undefined) p.probeAt = now;
  return false;
}

/**
 * Notes a failure of a command to `redis`. Only an unanswered or unreachable one passes it
 * over; any other (a refusal, a value that would not parse) means it answered.
 */
export function noteRedisFailure(redis: object, err: unknown): void {
  if (unreachable(err)) passOvers.set(redis, { until: performance.now() + redisPassOverMs, probeAt: undefined });
  else noteRedisAnswer(redis);
}

/** Whether `redis` is paused or probed now, without becoming the probe (for a caller's later steps). */
export function redisPaused(redis: object, now = performance.now()): boolean {
  const p = passOvers.get(redis);
  return p !== undefined && (now < p.until || (p.probeAt !== undefined && now - p.probeAt < probeLapseMs));
}

/** `redis` answered a command: in good standing again. */
export function noteRedisAnswer(redis: object): void {
  passOvers.delete(redis);
}
