// The cluster as an operator sees it (GET /v1/admin/cluster), read from one watch of the
// members bucket (cluster/status.ts) instead of a KV read per shard and a stats round.
import type { NatsConnection } from 'nats';
import { readStatus, type MemberRow } from './status.ts';

export const statsSubject = (cluster: string) => `${cluster}.svc.cluster.stats`;

export interface ClusterView {
  nodes: MemberRow[];
  shardOwners: Record<string, string>;
  unownedShards: number[];
  singletons: Record<string, string>;
  /** Per node: the shards it serves, its actors, mailbox depth and leases (as before). */
  nodeStats: { nodeId: string; shards: number[]; leasesHeld: number; actors: number; mailboxDepth: number }[];
}

export async function clusterView(nc: NatsConnection, cluster: string, shards: number, leaseTtlMs: number): Promise<ClusterView> {
  const status = await readStatus(nc, cluster, shards, leaseTtlMs);
  return {
    nodes: status.members,
    shardOwners: status.shardOwners,
    unownedShards: status.unownedShards,
    singletons: status.singletons,
    nodeStats: status.members.map((m) => ({ nodeId: m.nodeId, shards: m.held, leasesHeld: m.shards, actors: m.actors, mailboxDepth: m.mailboxDepth })),
  };
}
