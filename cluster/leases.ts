// Shard leases in a JetStream KV bucket: taken with create (fails when held), renewed with
// update-by-revision (fails when someone else wrote since), released with a delete that is
// conditional on our revision. A lease not renewed within the bucket TTL vanishes.
//
// A lease is also bounded by time on our side: it is valid until the moment we sent the
// last confirmed write plus the TTL minus a margin. The server cannot expire the key
// before that moment, so nobody else can hold it while we think we do, even when we were
// paused, or cut off from NATS, and no renewal failed because none was even tried.
// "Since we sent it" is measured on both clocks, and the lease ends when either says so:
// the monotonic one, which a wall clock stepped back (NTP, a VM's clock resynced) does not
// stretch, and the wall clock, which keeps counting where the monotonic one may not (a
// suspended machine).
import { randomBytes } from 'node:crypto';
import type { KV } from 'nats';
import { isWrongSequence, type TtlBucket } from './bucket.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const keyOf = (shard: number) => `shard.${shard}`;

interface Held {
  /** The revision of our latest confirmed write. */
  revision: number;
  /** When that write was sent: performance.now() and Date.now(). */
  sentMono: number;
  sentWall: number;
}

/** When a write is sent, on both clocks. */
function sentNow(): { sentMono: number; sentWall: number } {
  return { sentMono: performance.now(), sentWall: Date.now() };
}

/** How much earlier than the TTL a lease stops being trusted locally (clock rates, timers). */
export function leaseMargin(ttlMs: number): number {
  return Math.max(100, Math.floor(ttlMs / 10));
}

/**
 * What a lease key holds: the node's id and, after a space (ids have none), this process's
 * incarnation. The id alone could not tell a node from an earlier process of the same
 * NODE_ID that was paused, not dead, when its replacement joined: resumed, it "retook" the
 * replacement's leases as its own, the replacement did the same at its next renewal, and
 * both served every shard for good.
 */
export function leaseValue(nodeId: string, incarnation: string): string {
  return `${nodeId} ${incarnation}`;
}

/** The node id in a lease key's value (a value written before incarnations is the id alone). */
export function leaseOwner(value: string): string {
  const space = value.indexOf(' ');
  return space < 0 ? value : value.slice(0, space);
}

export class Leases {
  private readonly held = new Map<number, Held>();
  private readonly margin: number;
  /** What this process writes into the keys it holds (leaseValue). */
  private readonly value: string;

  constructor(private readonly bucket: TtlBucket, nodeId: string, private readonly ttlMs: number, incarnation = randomBytes(8).toString('hex')) {
    this.margin = leaseMargin(ttlMs);
    this.value = leaseValue(nodeId, incarnation);
  }

  private get kv(): KV {
    return this.bucket.kv;
  }

  holds(shard: number): boolean {
    return this.held.has(shard);
  }

  /**
   * Whether less than the TTL minus the margin has passed since the lease's last confirmed
   * write was sent, by both clocks. Date.now() alone let a wall clock stepped back keep a
   * lease valid here for the size of the step after the bucket dropped it and another node
   * took it: two nodes served one shard.
   */
  private current(lease: Held): boolean {
    const window = this.ttlMs - this.margin;
    return performance.now() - lease.sentMono < window && Date.now() - lease.sentWall < window;
  }

  /** Held and within its local validity: the only state in which the shard may be served. */
  valid(shard: number): boolean {
    const lease = this.held.get(shard);
    return lease !== undefined && this.current(lease);
  }

  /** Shards we hold whose local validity ran out without a confirmed renewal. */
  lapsed(): number[] {
    const out: number[] = [];
    for (const [shard, lease] of this.held) if (!this.current(lease)) out.push(shard);
    return out;
  }

  heldShards(): number[] {
    return [...this.held.keys()].sort((a, b) => a - b);
  }

  /** True when we now hold it; false when somebody else does or the bucket cannot say. */
  async acquire(shard: number): Promise<boolean> {
    const sent = sentNow();
    let revision: number;
    try {
      revision = await this.kv.create(keyOf(shard), encoder.encode(this.value));
    } catch (err) {
      await this.bucket.recover(err);
      // Still ours from before (we stopped trusting it locally during an outage or a pause,
      // or a renewal's answer was lost): nobody else wrote since, so take it back.
      const retaken = await this.retake(shard);
      if (!retaken) return false;
      this.held.set(shard, retaken);
      return true;
    }
    this.held.set(shard, { revision, ...sent });
    return true;
  }

  /**
   * The lease confirmed afresh when the key still names this process, whatever its
   * revision: only we write our value (id and incarnation), so nobody else wrote since our
   * last write, which we may not have heard confirmed (a renewal timed out here and applied
   * there). Valid from this write on.
   */
  private async retake(shard: number): Promise<Held | undefined> {
    try {
      const entry = await this.kv.get(keyOf(shard));
      if (!entry || entry.operation !== 'PUT' || decoder.decode(entry.value) !== this.value) return undefined;
      const sent = sentNow();
      const revision = await this.kv.update(keyOf(shard), encoder.encode(this.value), entry.revision);
      return { revision, ...sent };
    } catch {
      return undefined;
    }
  }

  /** Renewals and releases of one shard run one after another, never interleaved. */
  private readonly ops = new Map<number, Promise<unknown>>();

  private serial<T>(shard: number, op: () => Promise<T>): Promise<T> {
    const next = (this.ops.get(shard) ?? Promise.resolve()).then(op, op);
    this.ops.set(shard, next);
    const forget = () => {
      if (this.ops.get(shard) === next) this.ops.delete(shard);
    };
    next.then(forget, forget);
    return next;
  }

  /**
   * False when the lease is certainly lost (written by someone else, or the bucket is
   * gone). A renewal that timed out is not a loss: the lease stays valid until its local
   * deadline, and lapses then unless a later renewal is confirmed.
   */
  renew(shard: number): Promise<boolean> {
    return this.serial(shard, async () => {
      const lease = this.held.get(shard);
      // Released meanwhile (a hand-off finished): nothing was lost.
      if (lease === undefined) return true;
      const sent = sentNow();
      try {
        const next = await this.kv.update(keyOf(shard), encoder.encode(this.value), lease.revision);
        if (this.held.get(shard) === lease) this.held.set(shard, { revision: next, ...sent });
        return true;
      } catch (err) {
        if (!definitelyLost(err)) return true;
        // "Wrong last sequence" after a renewal of ours that timed out but applied: the
        // revision moved on, the key still names us. Counting that as lost moved shards
        // for minutes after a NATS restart on a loaded host (a fault audit: 265 losses on
        // one idle node, 503s at rest).
        const retaken = isWrongSequence(err) ? await this.retake(shard) : undefined;
        if (retaken) {
          if (this.held.get(shard) === lease) this.held.set(shard, retaken);
          return true;
        }
        await this.bucket.recover(err);
        if (this.held.get(shard) === lease) this.held.delete(shard);
        return false;
      }
    });
  }

  /** Forgets a lease we no longer have (renewal failed elsewhere, or it lapsed). */
  forget(shard: number): void {
    this.held.delete(shard);
  }

  release(shard: number): Promise<void> {
    return this.serial(shard, async () => {
      const lease = this.held.get(shard);
      this.held.delete(shard);
      if (lease === undefined) return;
      // Conditional on our revision: never deletes a lease another node has taken since.
      await this.kv.delete(keyOf(shard), { previousSeq: lease.revision }).catch(() => undefined);
    });
  }

  /** Current owner of every shard with a live lease, read from the bucket. */
  async owners(shards: number): Promise<Record<number, string>> {
    const out: Record<number, string> = {};
    for (let s = 0; s < shards; s++) {
      const entry = await this.kv.get(keyOf(s));
      if (entry && entry.operation === 'PUT') out[s] = leaseOwner(decoder.decode(entry.value));
    }
    return out;
  }
}

/**
 * A renewal refused by the server (wrong last sequence: someone else wrote the key) or
 * impossible (the bucket is gone) is a loss; a timeout or a dropped connection is not
 * known to be one.
 */
function definitelyLost(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return true;
  const e = err as { code?: unknown; message?: unknown; api_error?: unknown };
  if (e.api_error !== undefined) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  if (isWrongSequence(err) || /stream not found|no responders/i.test(message)) return true;
  if (e.code === '503') return true;
  return !/timeout|disconnect|closed|connection/i.test(`${String(e.code)} ${message}`);
}
