// The cluster as an operator sees it, read from ONE watch of the members bucket: each node's
// heartbeat record carries its status, the shards it serves, its actors and singletons
// (cluster/node.ts writes them), so a view costs one subscription however many nodes and
// shards there are, and stays live for `cluster watch` at no further cost.
import type { KV, KvEntry, NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { membersBucket, type MemberInfo } from './membership.ts';
import { orAfter } from './or-after.ts';
import { TtlBucket, leaseCallTimeoutMs } from './bucket.ts';
import { keepWatching, type KeptWatch } from './watch.ts';

export interface MemberRow {
  nodeId: string;
  host: string;
  pid: number;
  version: string;
  role: string;
  status: 'Joining' | 'Up' | 'Leaving';
  /** How many shards it serves, and which. */
  shards: number;
  held: number[];
  actors: number;
  mailboxDepth: number;
  singletons: string[];
  startedAt: string;
  /** Milliseconds since its last heartbeat. */
  lastSeenMs: number;
}

export interface ClusterStatus {
  cluster: string;
  /** SHARDS as the members report it (or as the caller assumed when no member says). */
  shardCount: number;
  members: MemberRow[];
  unownedShards: number[];
  /** Singleton name → the node running it. */
  singletons: Record<string, string>;
  /** Shard → the node serving it. */
  shardOwners: Record<string, string>;
}

const decoder = new TextDecoder();

function row(info: MemberInfo, seenAt: number, now: number): MemberRow {
  return {
    nodeId: info.nodeId,
    host: info.host ?? '?',
    pid: info.pid,
    version: info.version ?? '?',
    role: info.role ?? 'node',
    status: info.status ?? 'Up',
    shards: info.held?.length ?? 0,
    held: info.held ?? [],
    actors: info.actors ?? 0,
    mailboxDepth: info.mailboxDepth ?? 0,
    singletons: info.singletons ?? [],
    startedAt: info.startedAt,
    lastSeenMs: Math.max(0, now - seenAt),
  };
}

/** Builds the view from member records; pure, so it is what tests and the CLI share. */
export function summarize(cluster: string, shards: number, records: { info: MemberInfo; seenAt: number }[], now = Date.now()): ClusterStatus {
  const members = records.map((r) => row(r.info, r.seenAt, now)).sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1));
  const shardCount = records.find((r) => r.info.shardCount !== undefined)?.info.shardCount ?? shards;
  const shardOwners: Record<string, string> = {};
  const singletons: Record<string, string> = {};
  for (const m of members) {
    for (const s of m.held) shardOwners[s] ??= m.nodeId;
    for (const name of m.singletons) singletons[name] ??= m.nodeId;
  }
  const unownedShards: number[] = [];
  for (let s = 0; s < shardCount; s++) if (shardOwners[s] === undefined) unownedShards.push(s);
  return { cluster, shardCount, members, unownedShards, singletons, shardOwners };
}

/**
 * A live view of one cluster: replays the members bucket, then follows it. Records that
 * stop being refreshed vanish from the bucket without an event, so age is checked too.
 */
export class ClusterWatch {
  private readonly records = new Map<string, { info: MemberInfo; seenAt: number }>();
  private readonly listeners = new Set<() => void>();
  private iter: { stop(): void } | undefined;
  private replaying = true;

  private constructor(
    private readonly kv: KV,
    readonly cluster: string,
    private readonly shards: number,
    readonly ttlMs: number,
    /** False when the cluster has no members bucket: no node of it ever started on this NATS. */
    readonly exists = true,
  ) {}

  /**
   * Opens the watch and resolves once the bucket's current records have been read. Only
   * reads: a cluster whose bucket does not exist is seen empty. It created the bucket, with
   * the reader's LEASE_TTL_MS and one replica, so `cluster status` under a mistyped CLUSTER
   * left a bucket behind, and run before a cluster's first node it made that cluster's
   * members bucket R1 whatever JETSTREAM_REPLICAS the nodes were given (they create it only
   * when missing).
   */
  static async open(nc: NatsConnection, cluster: string, shards: number, leaseTtlMs: number): Promise<ClusterWatch> {
    const kv = await nc.jetstream().views.kv(membersBucket(cluster), { bindOnly: true });
    let ttl: number;
    try {
      // The bucket's own TTL is the truth (a node may run with another LEASE_TTL_MS than we assume).
      ttl = (await kv.status()).ttl || leaseTtlMs;
    } catch (err) {
      if (!bucketNotFound(err)) throw err;
      return new ClusterWatch(kv, cluster, shards, leaseTtlMs, false);
    }
    const view = new ClusterWatch(kv, cluster, shards, ttl);
    await view.follow();
    return view;
  }

  private async follow(): Promise<void> {
    let ready!: () => void;
    const replayed = new Promise<void>((r) => (ready = r));
    const iter = await this.kv.watch({ initializedFn: () => ready() });
    this.iter = iter;
    void (async () => {
      for await (const entry of iter) this.apply(entry);
    })().catch(() => undefined);
    await orAfter(replayed, 2000, undefined);
    this.replaying = false;
  }

  private apply(entry: KvEntry): void {
    if (entry.operation === 'PUT') {
      const info = JSON.parse(decoder.decode(entry.value)) as MemberInfo;
      // A replayed record was written a while ago (its server time says when); a new one now.
      const seenAt = this.replaying ? Math.min(Date.now(), entry.created.getTime()) : Date.now();
      this.records.set(entry.key, { info, seenAt });
    } else {
      this.records.delete(entry.key);
    }
    for (const l of this.listeners) l();
  }

  /**
   * The view now; members silent for longer than the bucket's TTL are left out, and
   * forgotten: their keys expired without an event, and a process that runs for months
   * sees a new node id at every restart of every node.
   */
  snapshot(): ClusterStatus {
    const now = Date.now();
    const live: { info: MemberInfo; seenAt: number }[] = [];
    for (const [id, r] of this.records) {
      if (now - r.seenAt <= this.ttlMs) live.push(r);
      else this.records.delete(id);
    }
    return summarize(this.cluster, this.shards, live, now);
  }

  /** Calls `fn` after every change seen in the bucket; returns a function that stops calling it. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  stop(): void {
    this.iter?.stop();
    this.kept?.stop();
    this.listeners.clear();
  }

  private kept: KeptWatch | undefined;

  /**
   * A view that outlives NATS faults (a gateway's, for as long as it runs): the watch starts
   * again when it ends, on every reconnect, and when nothing was seen for a TTL (live nodes
   * heartbeat several times a TTL, so a quiet watch is a dead one). With a single watch
   * opened once, a gateway saw no live node for 6-12 s after every NATS restart, and its
   * /readyz took it out of a load balancer while requests were being served.
   */
  static async keep(nc: NatsConnection, cluster: string, shards: number, leaseTtlMs: number, log: Logger): Promise<ClusterWatch> {
    const bucket = await TtlBucket.open(nc, { name: membersBucket(cluster), ttlMs: leaseTtlMs, callTimeoutMs: leaseCallTimeoutMs(leaseTtlMs), log });
    const ttl = (await bucket.kv.status()).ttl || leaseTtlMs;
    const view = new ClusterWatch(bucket.kv, cluster, shards, ttl);
    let ready!: () => void;
    const replayed = new Promise<void>((r) => (ready = r));
    view.kept = keepWatching({
      bucket,
      log,
      restartWhenQuietMs: ttl,
      restartOnReconnect: nc,
      onEntry: (entry) => view.apply(entry),
      onRestart: () => (view.replaying = true),
      onReplayed: () => {
        view.replaying = false;
        ready();
      },
    });
    await orAfter(replayed, 2000, undefined);
    view.replaying = false;
    return view;
  }
}

/**
 * Whether JetStream says the bucket's stream does not exist (its "stream not found",
 * 10059). Not a 503: that is also JetStream down or between leaders, which is not "no
 * cluster ever started here" and must not be shown as an empty cluster.
 */
function bucketNotFound(err: unknown): boolean {
  const e = err as { api_error?: { err_code?: number }; message?: unknown } | null;
  return e?.api_error?.err_code === 10059 || (typeof e?.message === 'string' && /stream not found/i.test(e.message));
}

/** The cluster view read once (`cluster status`, `GET /v1/admin/cluster`). */
export async function readStatus(nc: NatsConnection, cluster: string, shards: number, leaseTtlMs: number): Promise<ClusterStatus> {
  const watch = await ClusterWatch.open(nc, cluster, shards, leaseTtlMs);
  try {
    return watch.snapshot();
  } finally {
    watch.stop();
  }
}
