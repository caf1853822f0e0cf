// Where an entity lives: id → shard → NATS subject, and which live node should own a shard.

/** Entity ids become one NATS subject token, so they are limited to characters that are safe there. */
export const entityIdPattern = /^[A-Za-z0-9_\-:@+=]{1,128}$/;
export const typeNamePattern = /^[a-z][a-z0-9_-]{0,31}$/;

/** 32-bit FNV-1a: stable across processes and versions, cheap, and well spread for short ids. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** murmur3's finaliser: makes every input bit move every output bit, which FNV alone does not. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function shardOf(id: string, shards: number): number {
  return mix32(fnv1a(id)) % shards;
}

export function entitySubject(cluster: string, type: string, shard: number, id: string): string {
  return `${cluster}.${type}.${shard}.${id}`;
}

/** Subject a node subscribes to while it holds a shard: every type, every id in it. */
export function shardWildcard(cluster: string, shard: number): string {
  return `${cluster}.*.${shard}.*`;
}

/** Splits `cluster.type.shard.id`; undefined when the subject is not an entity subject. */
export function parseEntitySubject(subject: string): { type: string; shard: number; id: string } | undefined {
  const parts = subject.split('.');
  if (parts.length !== 4) return undefined;
  const [, type, shard, id] = parts as [string, string, string, string];
  const n = Number(shard);
  if (!Number.isInteger(n)) return undefined;
  return { type, shard: n, id };
}

/**
 * Rendezvous (highest random weight) hashing: the owner of a shard is the live node with
 * the highest hash of (node, shard). When a node joins or leaves, only the shards it wins
 * or held move; every node computes the same answer from the same member list.
 */
export function rendezvousOwner(shard: number, nodes: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const node of nodes) {
    const score = mix32(fnv1a(`${node}#${shard}`));
    // Ties (vanishingly rare) go to the lexically smaller id so every node agrees.
    if (score > bestScore || (score === bestScore && best !== undefined && node < best)) {
      best = node;
      bestScore = score;
    }
  }
  return best;
}
