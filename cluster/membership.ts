// Which nodes are alive: each node keeps a key in a JetStream KV bucket whose bucket-wide
// TTL drops it when the node stops heartbeating.
import { StorageType, type KV, type NatsConnection } from 'nats';
import type { Logger } from 'pino';

export interface MemberInfo {
  nodeId: string;
  pid: number;
  startedAt: string;
}

export const membersBucket = (cluster: string) => `${cluster}_members`;
export const leasesBucket = (cluster: string) => `${cluster}_leases`;

/** Opens (creating when missing) a small in-memory KV bucket whose keys vanish after `ttlMs`. */
export async function openTtlBucket(nc: NatsConnection, name: string, ttlMs: number): Promise<KV> {
  return nc.jetstream().views.kv(name, { ttl: ttlMs, history: 1, storage: StorageType.Memory });
}

const json = new TextEncoder();
const text = new TextDecoder();

export class Membership {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly kv: KV, private readonly self: MemberInfo, private readonly ttlMs: number, private readonly log: Logger) {}

  async join(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => {
      this.beat().catch((err: unknown) => this.log.warn({ err }, 'heartbeat failed'));
    }, Math.max(100, Math.floor(this.ttlMs / 3)));
  }

  private async beat(): Promise<void> {
    await this.kv.put(this.self.nodeId, json.encode(JSON.stringify(this.self)));
  }

  /** Node ids with a live heartbeat, sorted. */
  async liveNodes(): Promise<string[]> {
    const ids: string[] = [];
    for await (const key of await this.kv.keys()) ids.push(key);
    return ids.sort();
  }

  async members(): Promise<MemberInfo[]> {
    const out: MemberInfo[] = [];
    for (const id of await this.liveNodes()) {
      const entry = await this.kv.get(id);
      if (entry && entry.operation === 'PUT') out.push(JSON.parse(text.decode(entry.value)) as MemberInfo);
    }
    return out;
  }

  /** Stops heartbeating and removes this node at once, so others need not wait for the TTL. */
  async leave(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.kv.delete(this.self.nodeId).catch((err: unknown) => this.log.warn({ err }, 'leave failed'));
  }

  /** Stops heartbeating without leaving (a crash, as others see it). */
  halt(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
