// The cluster as an operator sees it (GET /v1/admin/cluster), read from one watch of the
// members bucket (cluster/status.ts) instead of a KV read per shard, plus one stats request
// answered by every node for the counters its record does not carry (dropped, activations).
import { RequestStrategy, type NatsConnection } from 'nats';
import { readStatus, type MemberRow } from './status.ts';

export const statsSubject = (cluster: string) => `${cluster}.svc.cluster.stats`;

/** How long the view waits for the nodes' counters; it stops early once every member answered. */
const countersWaitMs = 500;

export interface ClusterView {
  nodes: MemberRow[];
  shardOwners: Record<string, string>;
  unownedShards: number[];
  singletons: Record<string, string>;
  /**
   * Per node: the shards it serves, its actors, mailbox depth and leases (as before), and the
   * messages its actors dropped and the activations since it started (absent for a node that
   * did not answer the stats request in time).
   */
  nodeStats: { nodeId: string; shards: number[]; leasesHeld: number; actors: number; mailboxDepth: number; dropped?: number; activations?: number }[];
}

interface Counters { dropped: number; activations: number }

const decoder = new TextDecoder();

/** Each node's counters from its answer to the stats request (no queue group: every node answers). */
async function countersByNode(nc: NatsConnection, cluster: string, members: number): Promise<Map<string, Counters>> {
  const counters = new Map<string, Counters>();
  if (members === 0) return counters;
  try {
    const replies = await nc.requestMany(statsSubject(cluster), undefined, { strategy: RequestStrategy.Count, maxMessages: members, maxWait: countersWaitMs });
    for await (const msg of replies) {
      const s = JSON.parse(decoder.decode(msg.data)) as { nodeId?: unknown; dropped?: unknown; activations?: unknown };
      if (typeof s.nodeId === 'string' && typeof s.dropped === 'number' && typeof s.activations === 'number') {
        counters.set(s.nodeId, { dropped: s.dropped, activations: s.activations });
      }
    }
  } catch {
    // No responders, or an answer that was not JSON: the nodes that did answer are kept.
  }
  return counters;
}

export async function clusterView(nc: NatsConnection, cluster: string, shards: number, leaseTtlMs: number): Promise<ClusterView> {
  const status = await readStatus(nc, cluster, shards, leaseTtlMs);
  const counters = await countersByNode(nc, cluster, status.members.length);
  return {
    nodes: status.members,
    shardOwners: status.shardOwners,
    unownedShards: status.unownedShards,
    singletons: status.singletons,
    nodeStats: status.members.map((m) => ({
      nodeId: m.nodeId, shards: m.held, leasesHeld: m.shards, actors: m.actors, mailboxDepth: m.mailboxDepth, ...counters.get(m.nodeId),
    })),
  };
}
