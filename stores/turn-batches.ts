// Items added in the same turn of the event loop go out together: in batches of at most
// `max`, at most `depth` batches in flight, and what arrives meanwhile gathers for the next.
// The node's write journal, its epoch claims, its batched reads and the Redis cache's
// invalidations all send their work this way.

export class TurnBatches<T> {
  private gathering: T[] = [];
  private scheduled = false;
  private inFlight = 0;

  /** `send` must settle every item of its batch itself; its own rejection is ignored. */
  constructor(private readonly send: (batch: T[]) => Promise<void>, private readonly opts: { depth: number; max: number }) {}

  add(item: T): void {
    this.gathering.push(item);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.opts.depth) return;
    this.scheduled = true;
    // After this turn's I/O callbacks: work decided in the same burst shares a batch.
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.gathering.length > 0 && this.inFlight < this.opts.depth) {
      const batch = this.gathering.splice(0, this.opts.max);
      this.inFlight++;
      void this.send(batch).catch(() => undefined).finally(() => {
        this.inFlight--;
        if (this.gathering.length > 0) this.schedule();
      });
    }
  }
}
