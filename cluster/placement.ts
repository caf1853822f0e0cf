// Shard placement over a member list, computed alike on every node. `rendezvous` is what the
// runtime uses (cluster/addressing.ts): the owner is the member with the highest hash of
// (member, shard). `boundedRendezvous` adds a cap: each member takes at most
// max(ceil(mean), floor(mean × (1 + ε))) shards, a shard whose first choice is full going to
// its next choice (consistent hashing with bounded loads), which trades extra moves per
// change for a spread within 1 + ε of the mean (or the best possible, ceil(mean)/mean).
import { fnv1a, mix32 } from './addressing.ts';

/** FNV-1a continued from `state` over `text`: lets `${node}#` be hashed once per member. */
function fnvContinue(state: number, text: string): number {
  let hash = state;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Scores of every (member, shard): equal to addressing.ts's rendezvous score, computed fast. */
export class Scores {
  private readonly prefixes: Uint32Array;
  private readonly digits: string[];

  constructor(readonly nodes: readonly string[], readonly shards: number) {
    this.prefixes = Uint32Array.from(nodes, (n) => fnv1a(`${n}#`));
    this.digits = Array.from({ length: shards }, (_, s) => String(s));
  }

  score(nodeIndex: number, shard: number): number {
    return mix32(fnvContinue(this.prefixes[nodeIndex]!, this.digits[shard]!));
  }
}

/** owner[shard] = index into `nodes` (the runtime's plain rendezvous). Ties go to the smaller id. */
export function rendezvous(nodes: readonly string[], shards: number): Int32Array {
  const scores = new Scores(nodes, shards);
  const owner = new Int32Array(shards).fill(-1);
  for (let s = 0; s < shards; s++) {
    let best = -1;
    let bestScore = -1;
    for (let i = 0; i < nodes.length; i++) {
      const sc = scores.score(i, s);
      if (sc > bestScore || (sc === bestScore && best >= 0 && nodes[i]! < nodes[best]!)) {
        best = i;
        bestScore = sc;
      }
    }
    owner[s] = best;
  }
  return owner;
}

/** Rendezvous with each member capped at max(ceil(mean), floor(mean × (1 + epsilon))) shards. */
export function boundedRendezvous(nodes: readonly string[], shards: number, epsilon: number): Int32Array {
  const scores = new Scores(nodes, shards);
  // floor(mean × (1 + ε)) keeps max/mean within 1 + ε; never below ceil(mean), or shards would go unplaced.
  const mean = shards / Math.max(1, nodes.length);
  const cap = Math.max(1, Math.ceil(mean), Math.floor(mean * (1 + epsilon)));
  const load = new Int32Array(nodes.length);
  const owner = new Int32Array(shards).fill(-1);
  // Shards in a fixed order, so every node computes the same answer from the same list.
  for (let s = 0; s < shards; s++) {
    let best = -1;
    let bestScore = -1;
    for (let i = 0; i < nodes.length; i++) {
      if (load[i]! >= cap) continue;
      const sc = scores.score(i, s);
      if (sc > bestScore || (sc === bestScore && best >= 0 && nodes[i]! < nodes[best]!)) {
        best = i;
        bestScore = sc;
      }
    }
    owner[s] = best;
    if (best >= 0) load[best]!++;
  }
  return owner;
}
