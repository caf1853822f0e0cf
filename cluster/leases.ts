// Shard leases in a JetStream KV bucket: taken with create (fails when held), renewed with
// update-by-revision (fails when someone else wrote since), released with a delete that is
// conditional on our revision. A lease not renewed within the bucket TTL vanishes.
import type { KV } from 'nats';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const keyOf = (shard: number) => `shard.${shard}`;

export class Leases {
  /** Shard → the revision of our latest write of its lease. */
  private readonly held = new Map<number, number>();

  constructor(private readonly kv: KV, private readonly nodeId: string) {}

  holds(shard: number): boolean {
    return this.held.has(shard);
  }

  heldShards(): number[] {
    return [...this.held.keys()].sort((a, b) => a - b);
  }

  /** True when we now hold it; false when somebody else does. */
  async acquire(shard: number): Promise<boolean> {
    try {
      const revision = await this.kv.create(keyOf(shard), encoder.encode(this.nodeId));
      this.held.set(shard, revision);
      return true;
    } catch {
      return false;
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

  /** False when the lease was lost (expired and taken, or written by someone else). */
  renew(shard: number): Promise<boolean> {
    return this.serial(shard, async () => {
      const revision = this.held.get(shard);
      // Released meanwhile (a hand-off finished): nothing was lost.
      if (revision === undefined) return true;
      try {
        const next = await this.kv.update(keyOf(shard), encoder.encode(this.nodeId), revision);
        if (this.held.get(shard) === revision) this.held.set(shard, next);
        return true;
      } catch {
        if (this.held.get(shard) === revision) this.held.delete(shard);
        return false;
      }
    });
  }

  /** Forgets a lease we no longer have (renewal failed elsewhere). */
  forget(shard: number): void {
    this.held.delete(shard);
  }

  release(shard: number): Promise<void> {
    return this.serial(shard, async () => {
      const revision = this.held.get(shard);
      this.held.delete(shard);
      if (revision === undefined) return;
      // Conditional on our revision: never deletes a lease another node has taken since.
      await this.kv.delete(keyOf(shard), { previousSeq: revision }).catch(() => undefined);
    });
  }

  /** Current owner of every shard with a live lease, read from the bucket. */
  async owners(shards: number): Promise<Record<number, string>> {
    const out: Record<number, string> = {};
    for (let s = 0; s < shards; s++) {
      const entry = await this.kv.get(keyOf(s));
      if (entry && entry.operation === 'PUT') out[s] = decoder.decode(entry.value);
    }
    return out;
  }
}
