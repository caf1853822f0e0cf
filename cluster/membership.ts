// Which nodes are alive: each node keeps a key in a JetStream KV bucket whose bucket-wide
// TTL drops it when the node stops heartbeating.
import { StorageType, type KV, type NatsConnection } from 'nats';
import type { Logger } from 'pino';

export interface MemberInfo {
  nodeId: string;
  pid: number;
  startedAt: string;
  // The fields below are what operators see (cluster/status.ts); a node refreshes them at
  // each heartbeat. Optional: records written by older nodes lack them.
  host?: string;
  version?: string;
  role?: string;
  status?: 'Joining' | 'Up' | 'Leaving';
  /** SHARDS and the cluster protocol this node runs with; a node that differs is refused. */
  shardCount?: number;
  protocol?: number;
  /** Shards it serves right now, its live actors and mailbox depth, the singletons it runs. */
  held?: number[];
  actors?: number;
  mailboxDepth?: number;
  singletons?: string[];
}

export const membersBucket = (cluster: string) => `${cluster}_members`;
export const leasesBucket = (cluster: string) => `${cluster}_leases`;

let bucketReplicas = 1;
/** Replicas of the buckets this process creates (JETSTREAM_REPLICAS: 3 on a three-server NATS cluster). */
export function useBucketReplicas(replicas: number): void {
  bucketReplicas = replicas;
}

/** Opens (creating when missing) a small in-memory KV bucket whose keys vanish after `ttlMs`. */
export async function openTtlBucket(nc: NatsConnection, name: string, ttlMs: number): Promise<KV> {
  return nc.jetstream().views.kv(name, { ttl: ttlMs, history: 1, storage: StorageType.Memory, replicas: bucketReplicas });
}

const json = new TextEncoder();
const text = new TextDecoder();

export class Membership {
  private timer: NodeJS.Timeout | undefined;
  private watcher: { stop(): void } | undefined;
  /** Node id → when we last saw its heartbeat (local clock). */
  private readonly lastSeen = new Map<string, number>();
  private readonly info = new Map<string, MemberInfo>();
  /** What this node adds to its record at each heartbeat (status, shards, actors). */
  describe: (() => Partial<MemberInfo>) | undefined;

  constructor(
    private readonly kv: KV,
    private readonly self: MemberInfo,
    private readonly ttlMs: number,
    private readonly log: Logger,
    private readonly onChange: () => void = () => {},
  ) {}

  /**
   * Starts heartbeating and watching the bucket. The member list comes from the watch
   * rather than from listing keys, which was seen to return a partial list while other
   * nodes were writing; expired keys send no event, so liveness is also judged by age.
   */
  async join(): Promise<void> {
    await this.beat();
    let ready!: () => void;
    const initialised = new Promise<void>((r) => (ready = r));
    const iter = await this.kv.watch({ initializedFn: () => ready() });
    this.watcher = iter;
    void (async () => {
      for await (const entry of iter) {
        if (entry.operation === 'PUT') {
          const known = this.lastSeen.has(entry.key);
          this.lastSeen.set(entry.key, Date.now());
          this.info.set(entry.key, JSON.parse(text.decode(entry.value)) as MemberInfo);
          if (!known) this.onChange();
        } else {
          this.lastSeen.delete(entry.key);
          this.info.delete(entry.key);
          this.onChange();
        }
      }
    })().catch((err: unknown) => this.log.warn({ err }, 'membership watch ended'));
    // The watch replays current values first; wait for them (or a short while on an empty bucket).
    await Promise.race([initialised, new Promise((r) => setTimeout(r, 500))]);
    this.timer = setInterval(() => {
      this.beat().catch((err: unknown) => this.log.warn({ err }, 'heartbeat failed'));
    }, Math.max(100, Math.floor(this.ttlMs / 3)));
  }

  private async beat(): Promise<void> {
    await this.kv.put(this.self.nodeId, json.encode(JSON.stringify({ ...this.self, ...this.describe?.() })));
  }

  /** Heartbeats now, outside the timer, so a status change is seen at once. */
  announce(): Promise<void> {
    return this.timer ? this.beat() : Promise.resolve();
  }

  /** Node ids whose heartbeat we saw within the TTL, sorted. */
  liveNodes(): string[] {
    const now = Date.now();
    const live: string[] = [];
    for (const [id, at] of this.lastSeen) {
      if (now - at <= this.ttlMs) live.push(id);
      else {
        this.lastSeen.delete(id);
        this.info.delete(id);
      }
    }
    return live.sort();
  }

  members(): MemberInfo[] {
    return this.liveNodes().map((id) => this.info.get(id)).filter((m): m is MemberInfo => m !== undefined);
  }

  /** Stops heartbeating and removes this node at once, so others need not wait for the TTL. */
  async leave(): Promise<void> {
    this.halt();
    await this.kv.delete(this.self.nodeId).catch((err: unknown) => this.log.warn({ err }, 'leave failed'));
  }

  /** Stops heartbeating and watching without leaving (a crash, as others see it). */
  halt(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.watcher?.stop();
  }
}

/** The members of a bucket right now, read once through a watch (for tools and views). */
export async function readMembers(kv: KV): Promise<MemberInfo[]> {
  // Keyed by node, since a heartbeat arriving during the replay is a second value for its key.
  const members = new Map<string, MemberInfo>();
  let initialised!: () => void;
  const replayed = new Promise<void>((resolve) => (initialised = resolve));
  const iter = await kv.watch({ initializedFn: () => initialised() });
  void (async () => {
    for await (const entry of iter) {
      if (entry.operation === 'PUT') members.set(entry.key, JSON.parse(text.decode(entry.value)) as MemberInfo);
      else members.delete(entry.key);
    }
  })().catch(() => undefined);
  await Promise.race([replayed, new Promise((r) => setTimeout(r, 1000))]);
  iter.stop();
  return [...members.values()];
}
