// A small table read whole from the database and kept in memory: reloaded when older than
// `maxAgeMs` or when told it changed, with concurrent readers sharing one load. Delivery
// zones, routes and shipping rates each kept a copy of this with small variations.
//
// @example
// const rates = new Reloading(() => repo.all(), 30_000);
// nc.subscribe(changedSubject, { callback: () => rates.invalidate() });
// const table = await rates.current();
export class Reloading<T> {
  private value: T | undefined;
  private loadedAt = 0;
  private loading: Promise<T> | undefined;
  /** Bumped by invalidate: a load begun before an edit must not count as fresh after it. */
  private generation = 0;

  constructor(private readonly load: () => Promise<T>, private readonly maxAgeMs: number) {}

  /** Something changed: the next read loads again (not from a load already under way). */
  invalidate(): void {
    this.generation++;
    this.loadedAt = 0;
    this.loading = undefined;
  }

  /** The value, loaded again first when it is older than maxAgeMs or was invalidated. */
  current(): Promise<T> {
    if (this.value !== undefined && Date.now() - this.loadedAt < this.maxAgeMs) return Promise.resolve(this.value);
    if (this.loading) return this.loading;
    const generation = this.generation;
    const loading = this.load().then((v) => {
      // Its readers get it either way; it is kept as fresh only if nothing changed meanwhile.
      if (generation === this.generation) {
        this.value = v;
        this.loadedAt = Date.now();
      }
      return v;
    }).finally(() => {
      if (this.loading === loading) this.loading = undefined;
    });
    this.loading = loading;
    return loading;
  }
}
