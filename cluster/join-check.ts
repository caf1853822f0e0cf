// Refuses a wrong join: a process whose SHARDS or cluster protocol differs from the running
// cluster's would address entities to the wrong shards and fail message by message, so it
// stops at start instead, with a message that names both values.
import type { KV, NatsConnection } from 'nats';
import { membersBucket, openTtlBucket, readMembers, type MemberDatabase, type MemberInfo } from './membership.ts';

/**
 * The version of what nodes say to each other (subjects, wire format, KV records). Raise it
 * when a change means old and new nodes must not serve one cluster together.
 */
export const clusterProtocol = 1;

/** A node or gateway that must not join this cluster; `message` says which value differs. */
export class JoinRefusedError extends Error {
  override name = 'JoinRefusedError';
  readonly code = 'join_refused';
  constructor(readonly setting: 'SHARDS' | 'protocol' | 'NODE_ID' | 'MYSQL_URL', readonly ours: number, readonly theirs: number, readonly memberId: string, detail?: string) {
    super(setting === 'MYSQL_URL'
      ? `MYSQL_URL here names ${detail}; start with the cluster's MYSQL_URL or use another CLUSTER`
      : setting === 'SHARDS'
      ? `SHARDS=${ours} here, but the running cluster uses SHARDS=${theirs} (node ${memberId}); start with SHARDS=${theirs} or use another CLUSTER`
      : setting === 'protocol'
        ? `cluster protocol ${ours} here, but the running cluster speaks protocol ${theirs} (node ${memberId}); run the same version as the cluster`
        : `NODE_ID=${memberId} is a live member already (${detail}); give each node its own NODE_ID`);
  }
}

/**
 * The first live member that disagrees with `shards`, our protocol or (when given) our
 * database, as an error; else undefined. The database: with a mistyped MYSQL_URL (the
 * database then made by `npm run migrate`) a node joined, took shards and singletons, and
 * answered from an empty database: sessions unknown (401), SKUs unknown, carts empty,
 * delivery estimates wiped for the whole cluster (a fault audit). Members of an earlier
 * release name no database and are not compared.
 */
export function incompatibility(members: MemberInfo[], shards: number, selfId?: string, database?: MemberDatabase): JoinRefusedError | undefined {
  for (const m of members) {
    if (m.nodeId === selfId) continue;
    if (m.shardCount !== undefined && m.shardCount !== shards) return new JoinRefusedError('SHARDS', shards, m.shardCount, m.nodeId);
    if (m.protocol !== undefined && m.protocol !== clusterProtocol) return new JoinRefusedError('protocol', clusterProtocol, m.protocol, m.nodeId);
    if (database && m.database !== undefined && m.database.id !== database.id) {
      return new JoinRefusedError('MYSQL_URL', 0, 0, m.nodeId,
        `database "${database.name}" (identity ${database.id}), but node ${m.nodeId} uses database "${m.database.name}" (identity ${m.database.id})`);
    }
  }
  return undefined;
}

/** Reads the members bucket once and throws JoinRefusedError when this process would not fit. */
export async function assertCanJoin(members: KV, shards: number, selfId?: string, database?: MemberDatabase): Promise<void> {
  const refusal = incompatibility(await readMembers(members), shards, selfId, database);
  if (refusal) throw refusal;
}

/**
 * Refuses a NODE_ID that a live member holds: two nodes with one id take each other's leases
 * without end. A record left by a crashed process with this id lives until its TTL; a restart
 * waits that long (two TTLs at most) before it refuses, so a fixed NODE_ID restarts cleanly.
 */
export async function assertNodeIdFree(nc: NatsConnection, cluster: string, nodeId: string, leaseTtlMs: number): Promise<void> {
  const kv = await openTtlBucket(nc, membersBucket(cluster), leaseTtlMs);
  const until = Date.now() + 2 * leaseTtlMs;
  for (;;) {
    const same = (await readMembers(kv)).find((m) => m.nodeId === nodeId);
    if (!same) return;
    if (Date.now() >= until) throw new JoinRefusedError('NODE_ID', 0, 0, nodeId, `pid ${same.pid}${same.host ? ` on ${same.host}` : ''}, started ${same.startedAt}`);
    await new Promise((r) => setTimeout(r, Math.min(250, leaseTtlMs / 4)));
  }
}

/** The same check for a process that is not a member (a gateway): its SHARDS (and database) must match too. */
export async function checkJoin(nc: NatsConnection, cluster: string, shards: number, leaseTtlMs: number, database?: MemberDatabase): Promise<void> {
  await assertCanJoin(await openTtlBucket(nc, membersBucket(cluster), leaseTtlMs), shards, undefined, database);
}
