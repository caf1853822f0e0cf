// A JetStream KV bucket that comes back: opened (created when missing) with a bucket-wide
// TTL and short call timeouts, and created again when a call shows it is gone, as after a
// NATS server restarted without its storage. Callers never swallow a missing bucket: they
// hand the error to `recover` and try again on their next round.
import { StorageType, type KV, type NatsConnection } from 'nats';
import type { Logger } from 'pino';

export interface BucketOptions {
  name: string;
  /** Keys not written for this long vanish (bucket-wide max age). */
  ttlMs: number;
  /** Timeout of every JetStream call made through this bucket. */
  callTimeoutMs: number;
  log?: Logger;
}

/**
 * Opens (creating when missing) a small KV bucket whose keys vanish after `ttlMs`. File
 * storage, so a NATS restart keeps the leases and members it had: nodes that reconnect
 * within the TTL renew them instead of starting over.
 */
export async function openTtlBucket(nc: NatsConnection, name: string, ttlMs: number, callTimeoutMs?: number): Promise<KV> {
  const js = callTimeoutMs === undefined ? nc.jetstream() : nc.jetstream({ timeout: callTimeoutMs });
  return js.views.kv(name, { ttl: ttlMs, history: 1, storage: StorageType.File, replicas: bucketReplicas });
}

let bucketReplicas = 1;
/** Replicas of the buckets this process creates (JETSTREAM_REPLICAS: 3 on a three-server NATS cluster). */
export function useBucketReplicas(replicas: number): void {
  bucketReplicas = replicas;
}

/** True when an error from a KV or JetStream call means the bucket's stream does not exist. */
/** NATS's refusal of a conditional write whose expected revision is not the key's ("wrong last sequence"). */
export function isWrongSequence(err: unknown): boolean {
  const message = typeof err === 'object' && err !== null ? (err as { message?: unknown }).message : undefined;
  return typeof message === 'string' && /wrong last sequence/i.test(message);
}

export function isMissingBucket(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; message?: unknown; api_error?: { err_code?: number } };
  // A publish to a KV subject no stream listens on comes back as "no responders" (503).
  if (e.code === '503' || e.code === 503) return true;
  if (e.api_error?.err_code === 10059) return true;
  return typeof e.message === 'string' && /stream not found|no responders/i.test(e.message);
}

export class TtlBucket {
  private reopening: Promise<void> | undefined;

  private constructor(private readonly nc: NatsConnection, private readonly opts: BucketOptions, private current: KV) {}

  static async open(nc: NatsConnection, opts: BucketOptions): Promise<TtlBucket> {
    return new TtlBucket(nc, opts, await openTtlBucket(nc, opts.name, opts.ttlMs, opts.callTimeoutMs));
  }

  get kv(): KV {
    return this.current;
  }

  get name(): string {
    return this.opts.name;
  }

  /**
   * Called with the error of a failed call: when it says the bucket is gone, creates it
   * again (once, however many callers noticed). Resolves either way; never throws.
   */
  recover(err: unknown): Promise<void> {
    if (!isMissingBucket(err)) return Promise.resolve();
    this.reopening ??= (async () => {
      try {
        this.current = await openTtlBucket(this.nc, this.opts.name, this.opts.ttlMs, this.opts.callTimeoutMs);
        this.opts.log?.warn({ bucket: this.opts.name }, 'KV bucket was missing; created it again');
      } catch (reopenErr) {
        this.opts.log?.warn({ bucket: this.opts.name, err: String(reopenErr) }, 'KV bucket missing and not yet re-creatable');
      } finally {
        this.reopening = undefined;
      }
    })();
    return this.reopening;
  }
}

/** Timeout of JetStream calls on the lease path: under a third of the TTL (the renewal interval). */
export function leaseCallTimeoutMs(leaseTtlMs: number): number {
  return Math.max(100, Math.floor(leaseTtlMs / 4));
}
