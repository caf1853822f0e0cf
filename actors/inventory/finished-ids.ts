// The ids of reservations that finished within the dedup window but are no longer held
// whole in memory. A resent `reserve` must find its first answer for the whole window (24 h),
// yet holding every finished reservation that long cost about 300 bytes each: a SKU that
// sells a million units a day held 257 MB. These ids are kept as Bloom filters instead, a
// few bytes each (11 MB for that million). The filters can answer "maybe" for an id they
// never saw (a few in a million lookups); the entity then reads the row from the store
// before deciding, which for a new id finds nothing and costs only that read.
//
// The filters come in generations so that they can both grow and be dropped: ids go into
// the newest one (the first holds 64 ids in 256 bytes, so a SKU that sells little holds
// little) until it is full (the next holds four times as many) or has gathered ids
// for an eighth of the window (the next holds as many); a generation whose newest id
// finished before the window is dropped whole.

/** Bits per id (rounded up to a power of two per filter) and probes per lookup: a few false positives in a million per generation. */
const bitsPerId = 24;
const probes = 17;
const firstCapacity = 64;

class Generation {
  readonly bits: Uint32Array;
  /** Bits in the filter minus one (a power of two minus one, used as a mask). */
  private readonly mask: number;
  count = 0;
  newest = 0;

  constructor(readonly capacity: number, readonly oldest: number) {
    let size = 32;
    while (size < capacity * bitsPerId) size *= 2;
    this.bits = new Uint32Array(size / 32);
    this.mask = size - 1;
  }

  add(h1: number, h2: number, finishedAt: number): void {
    for (let i = 0; i < probes; i++) {
      const bit = probe(h1, h2, i) & this.mask;
      this.bits[bit >>> 5]! |= 1 << (bit & 31);
    }
    this.count++;
    if (finishedAt > this.newest) this.newest = finishedAt;
  }

  has(h1: number, h2: number): boolean {
    for (let i = 0; i < probes; i++) {
      const bit = probe(h1, h2, i) & this.mask;
      if ((this.bits[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}

/**
 * Two 32-bit hashes of a string (MurmurHash3's steps with two seeds), finalised,
 * left in module variables rather than returned as a pair: a lookup runs on every new
 * reservation of a flash sale, and should allocate nothing.
 */
let hashA = 0;
let hashB = 0;
function hash(id: string): void {
  let a = 0x9747b28c;
  let b = 0x2f3c1a5d ^ id.length;
  for (let i = 0; i < id.length; i++) {
    // MurmurHash3's block step, one UTF-16 unit at a time, with two seeds.
    let k = Math.imul(id.charCodeAt(i), 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    a ^= k;
    a = (Math.imul((a << 13) | (a >>> 19), 5) + 0xe6546b64) | 0;
    b ^= Math.imul(k ^ (k >>> 16), 0x85ebca6b);
    b = (Math.imul((b << 17) | (b >>> 15), 9) + 0x7fb5d329) | 0;
  }
  hashA = mix(a ^ id.length);
  hashB = mix(b) | 1;
}

/**
 * The i-th bit a key sets: h1 + i·h2, mixed. Unmixed (plain double hashing), a filter of m
 * bits has only about m²/2 probe sequences, so in a small one two different ids often share
 * one: a filter of 64 ids in 2,048 bits answered "maybe" 36 times in a million lookups of
 * ids it never saw, against 1 with the sequence mixed from all 64 bits of the two hashes.
 */
function probe(h1: number, h2: number, i: number): number {
  let x = (h1 + Math.imul(i, h2)) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x45d9f3b);
  return x ^ (x >>> 16);
}

function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

export class FinishedIds {
  private generations: Generation[] = [];

  /** @param spanMs how long one generation gathers ids before the next is started. */
  constructor(private readonly spanMs: number) {}

  add(id: string, finishedAt: number): void {
    hash(id);
    this.current(finishedAt).add(hashA, hashB, finishedAt);
  }

  /** False: the id was never added (or its generation was dropped). True: it may have been. */
  mightHold(id: string): boolean {
    if (this.generations.length === 0) return false;
    hash(id);
    for (const g of this.generations) if (g.has(hashA, hashB)) return true;
    return false;
  }

  /** Drops every generation whose ids all finished before `cutoff`. */
  dropFinishedBefore(cutoff: number): void {
    this.generations = this.generations.filter((g) => g.newest >= cutoff);
  }

  /** Ids held, counting those of every generation still kept. */
  get size(): number {
    let n = 0;
    for (const g of this.generations) n += g.count;
    return n;
  }

  /** Memory the filters take, in bytes. */
  get bytes(): number {
    let n = 0;
    for (const g of this.generations) n += g.bits.byteLength;
    return n;
  }

  private current(finishedAt: number): Generation {
    const last = this.generations.at(-1);
    if (last && last.count < last.capacity && finishedAt - last.oldest < this.spanMs) return last;
    const capacity = !last ? firstCapacity : last.count >= last.capacity ? last.capacity * 4 : last.capacity;
    const next = new Generation(capacity, finishedAt);
    this.generations.push(next);
    return next;
  }
}
