// Which nodes are alive: each node keeps a key in a JetStream KV bucket whose bucket-wide
// TTL drops it when the node stops heartbeating.
import type { KV } from 'nats';
import type { Logger } from 'pino';
import { isWrongSequence, type TtlBucket } from './bucket.ts';
import { keepWatching, type KeptWatch } from './watch.ts';
import { orAfter } from './or-after.ts';

export { openTtlBucket } from './bucket.ts';

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
  /** The database it uses (its identity, and the name for people); a node with another is refused. */
  database?: MemberDatabase;
  /** Shards it serves right now, its live actors and mailbox depth, the singletons it runs. */
  held?: number[];
  actors?: number;
  mailboxDepth?: number;
  singletons?: string[];
}

export interface MemberDatabase { id: string; name: string }

export const membersBucket = (cluster: string) => `${cluster}_members`;
export const leasesBucket = (cluster: string) => `${cluster}_leases`;

const json = new TextEncoder();
const text = new TextDecoder();

export class Membership {
  private timer: NodeJS.Timeout | undefined;
  private watcher: KeptWatch | undefined;
  /**
   * Node id → when we last saw its heartbeat, by performance.now(): a wall clock stepped
   * back kept a killed node "live" for the size of the step, and its shards unserved.
   */
  private readonly lastSeen = new Map<string, number>();
  private readonly info = new Map<string, MemberInfo>();
  /** What this node adds to its record at each heartbeat (status, shards, actors). */
  describe: (() => Partial<MemberInfo>) | undefined;
  /** When the watch was last (re)started or last showed our own heartbeat. */
  private watchAlive = performance.now();

  constructor(
    private readonly bucket: TtlBucket,
    private readonly self: MemberInfo,
    private readonly ttlMs: number,
    private readonly log: Logger,
    private readonly onChange: () => void = () => {},
    /**
     * Told once, when a heartbeat finds our key written by another process of our NODE_ID:
     * we were paused (SIGSTOP, a frozen VM) past our record's TTL, and a replacement was
     * admitted meanwhile. Heartbeats have stopped by then: ours would overwrite its record.
     */
    private readonly onSuperseded: (by: MemberInfo) => void = () => {},
  ) {}

  private superseded = false;
  /** The key's revision after our last confirmed write (undefined before the first). */
  private revision: number | undefined;

  /**
   * Starts heartbeating and watching the bucket. The member list comes from the watch
   * rather than from listing keys, which was seen to return a partial list while other
   * nodes were writing; expired keys send no event, so liveness is also judged by age.
   * The watch is started again whenever it ends, and when it stops showing our own
   * heartbeats (a watch left behind by a NATS restart can go quiet without ending).
   */
  async join(): Promise<void> {
    await this.beat();
    let ready!: () => void;
    const initialised = new Promise<void>((r) => (ready = r));
    this.watcher = keepWatching({
      bucket: this.bucket,
      log: this.log,
      onReplayed: () => ready(),
      onEntry: (entry) => {
        if (entry.operation === 'PUT') {
          const known = this.lastSeen.has(entry.key);
          this.lastSeen.set(entry.key, performance.now());
          if (entry.key === this.self.nodeId) this.watchAlive = performance.now();
          this.info.set(entry.key, JSON.parse(text.decode(entry.value)) as MemberInfo);
          if (!known) this.onChange();
        } else {
          this.lastSeen.delete(entry.key);
          this.info.delete(entry.key);
          this.onChange();
        }
      },
    });
    // The watch replays current values first; wait for them (or a short while on an empty bucket).
    await orAfter(initialised, 500, undefined);
    this.timer = setInterval(() => void this.beatNow(), Math.max(100, Math.floor(this.ttlMs / 3)));
  }

  /** Heartbeats now (also after a reconnect, so others see us before they judge who is alive). */
  async beatNow(): Promise<void> {
    try {
      await this.beat();
      if (performance.now() - this.watchAlive > this.ttlMs) {
        this.log.warn('membership watch went quiet; starting it again');
        this.watchAlive = performance.now();
        this.watcher?.restart();
      }
    } catch (err) {
      this.log.warn({ err: String(err) }, 'heartbeat failed');
      await this.bucket.recover(err);
    }
  }

  /** Starts the watch again at once (after a reconnect its consumer may be gone). */
  rewatch(): void {
    this.watchAlive = performance.now();
    this.watcher?.restart();
  }

  /**
   * Writes our record, on the condition that the key still holds our last write: a
   * process of our NODE_ID admitted while we were paused past the TTL has written it since,
   * and an unconditional write would overwrite its record (the key names the id, not the
   * process). Which process wrote last is read from the key, not from clocks, so the two
   * never both give way, nor both stay.
   */
  private async beat(): Promise<void> {
    if (this.superseded) return;
    const key = this.self.nodeId;
    const value = json.encode(JSON.stringify({ ...this.self, ...this.describe?.() }));
    if (this.revision === undefined) {
      // The first write: join() runs once no live record of this id is left (assertNodeIdFree).
      this.revision = await this.bucket.kv.put(key, value);
      return;
    }
    try {
      this.revision = await this.bucket.kv.update(key, value, this.revision);
      return;
    } catch (err) {
      if (!isWrongSequence(err)) throw err;
    }
    // The key moved on without us: a write of ours that timed out here but applied there,
    // the key expired (a stall past the TTL, a NATS restart without its storage), or
    // another process of our id wrote it.
    const entry = await this.bucket.kv.get(key);
    if (entry && entry.operation === 'PUT') {
      const record = JSON.parse(text.decode(entry.value)) as MemberInfo;
      if (record.pid === this.self.pid && record.startedAt === this.self.startedAt) {
        this.revision = await this.bucket.kv.update(key, value, entry.revision);
        return;
      }
      this.superseded = true;
      this.halt();
      this.onSuperseded(record);
      return;
    }
    // Gone: ours again, unless another process creates it first (then the next beat finds it).
    this.revision = await this.bucket.kv.create(key, value);
  }

  /** Heartbeats now, outside the timer, so a status change is seen at once. */
  announce(): Promise<void> {
    return this.timer ? this.beat() : Promise.resolve();
  }

  /** Node ids whose heartbeat we saw within the TTL, sorted. */
  liveNodes(): string[] {
    const now = performance.now();
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
    // Only our own last write: after a pause past the TTL, the record may be another
    // process's of our id (superseded: nothing of ours is left to remove).
    if (this.superseded || this.revision === undefined) return;
    await this.bucket.kv.delete(this.self.nodeId, { previousSeq: this.revision }).catch((err: unknown) => this.log.warn({ err }, 'leave failed'));
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
  await orAfter(replayed, 1000, undefined);
  iter.stop();
  return [...members.values()];
}
