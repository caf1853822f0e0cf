// Reads by key that arrive in the same turn of the event loop go to the database as one
// query (through TurnBatches, as the journal's writes do). Each caller still gets its own
// answer, from a query sent after it asked, so a caller reads its own earlier writes exactly
// as with a query of its own.
//
// @example
// const users = new BatchedReads((ids) => loadUsers(ids));   // Map of the ids found
// const u = await users.get('u1');                            // undefined when not found
import { TurnBatches } from '../turn-batches.ts';

interface Wanted<V> {
  key: string;
  resolve(v: V | undefined): void;
  reject(err: unknown): void;
}

export class BatchedReads<V> {
  private readonly batches: TurnBatches<Wanted<V>>;

  /** `loadMany` gets distinct keys (at most `maxKeys` asks per query) and returns what it found by key. */
  constructor(private readonly loadMany: (keys: string[]) => Promise<Map<string, V>>, maxKeys = 100) {
    this.batches = new TurnBatches((batch) => this.load(batch), { depth: 8, max: maxKeys });
  }

  get(key: string): Promise<V | undefined> {
    return new Promise((resolve, reject) => this.batches.add({ key, resolve, reject }));
  }

  private async load(batch: Wanted<V>[]): Promise<void> {
    try {
      const found = await this.loadMany([...new Set(batch.map((w) => w.key))]);
      for (const w of batch) w.resolve(found.get(w.key));
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
  }
}
