// A short per-process cache of reads by key, for data that changes rarely and is announced
// when it does (products, product cards): a key's value, or that it has none, kept for
// `ttlMs`, and forgotten at once when told. A read that began before a `forget` does not
// put what it read back: it may be the row as it was before the change (a product removed
// while a checkout was reading it stayed on sale for the cache's lifetime).

interface Entry<V> {
  at: number;
  value: V | undefined;
}

export class ReadCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private generation = 0;

  constructor(private readonly ttlMs: number, private readonly maxEntries = 50_000) {}

  /** The cached entry of `key` while it is fresh (its value undefined: known to have none). */
  fresh(key: string, now = Date.now()): Entry<V> | undefined {
    const hit = this.entries.get(key);
    return hit && now - hit.at < this.ttlMs ? hit : undefined;
  }

  /** The values of `keys`: fresh ones from the cache, the rest from `load` (a key it leaves out has none). */
  async getMany(keys: string[], load: (missing: string[]) => Promise<Map<string, V>>): Promise<Map<string, V>> {
    const out = new Map<string, V>();
    const missing: string[] = [];
    const now = Date.now();
    for (const key of keys) {
      const hit = this.fresh(key, now);
      if (!hit) missing.push(key);
      else if (hit.value !== undefined) out.set(key, hit.value);
    }
    if (missing.length === 0) return out;
    const generation = this.generation;
    const loaded = await load(missing);
    const keep = generation === this.generation;
    if (keep && this.entries.size > this.maxEntries) this.entries.clear();
    const at = Date.now();
    for (const key of missing) {
      const value = loaded.get(key);
      if (keep) this.entries.set(key, { at, value });
      if (value !== undefined) out.set(key, value);
    }
    return out;
  }

  /** Forgets `keys`, and what reads already under way would bring back of anything. */
  forget(keys: Iterable<string>): void {
    this.generation++;
    for (const key of keys) this.entries.delete(key);
  }
}
