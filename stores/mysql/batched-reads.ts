// Reads by key that arrive in the same turn of the event loop go to the database as one
// query. Each caller still gets its own answer, from a query sent after it asked, so a
// caller reads its own earlier writes exactly as with a query of its own.
//
// @example
// const users = new BatchedReads((ids) => loadUsers(ids));   // Map of the ids found
// const u = await users.get('u1');                            // undefined when not found

interface Waiter<V> {
  resolve(v: V | undefined): void;
  reject(err: unknown): void;
}

export class BatchedReads<V> {
  private pending = new Map<string, Waiter<V>[]>();
  private scheduled = false;

  /** `loadMany` gets distinct keys (at most `maxKeys`) and returns what it found by key. */
  constructor(private readonly loadMany: (keys: string[]) => Promise<Map<string, V>>, private readonly maxKeys = 100) {}

  get(key: string): Promise<V | undefined> {
    return new Promise((resolve, reject) => {
      const waiters = this.pending.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else this.pending.set(key, [{ resolve, reject }]);
      if (this.scheduled) return;
      this.scheduled = true;
      // After this turn's I/O callbacks, as the journal gathers its batches.
      setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    this.scheduled = false;
    const all = [...this.pending];
    this.pending = new Map();
    for (let i = 0; i < all.length; i += this.maxKeys) {
      const chunk = all.slice(i, i + this.maxKeys);
      this.loadMany(chunk.map(([k]) => k)).then(
        (found) => { for (const [k, ws] of chunk) for (const w of ws) w.resolve(found.get(k)); },
        (err: unknown) => { for (const [, ws] of chunk) for (const w of ws) w.reject(err); },
      );
    }
  }
}
