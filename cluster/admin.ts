// The cluster as an operator sees it, gathered from the KV buckets and from every node
// answering a stats request (no queue group, so each node replies).
import { RequestStrategy, type NatsConnection } from 'nats';
import { leasesBucket, membersBucket, openTtlBucket, readMembers } from './membership.ts';

export const statsSubject = (cluster: string) => `${cluster}.svc.cluster.stats`;

export interface ClusterView {
  nodes: { nodeId: string; pid?: number; startedAt?: string }[];
  shardOwners: Record<string, string>;
  unownedShards: number[];
  nodeStats: unknown[];
}

const decoder = new TextDecoder();

export async function clusterView(nc: NatsConnection, cluster: string, shards: number, leaseTtlMs: number): Promise<ClusterView> {
  const members = await openTtlBucket(nc, membersBucket(cluster), leaseTtlMs);
  const leases = await openTtlBucket(nc, leasesBucket(cluster), leaseTtlMs);
  const nodes: ClusterView['nodes'] = await readMembers(members);
  const shardOwners: Record<string, string> = {};
  const unownedShards: number[] = [];
  for (let s = 0; s < shards; s++) {
    const entry = await leases.get(`shard.${s}`);
    if (entry && entry.operation === 'PUT') shardOwners[s] = decoder.decode(entry.value);
    else unownedShards.push(s);
  }
  const nodeStats: unknown[] = [];
  const replies = await nc.requestMany(statsSubject(cluster), undefined, { strategy: RequestStrategy.Timer, maxWait: 300 });
  for await (const msg of replies) nodeStats.push(JSON.parse(decoder.decode(msg.data)));
  nodes.sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1));
  return { nodes, shardOwners, unownedShards, nodeStats };
}
