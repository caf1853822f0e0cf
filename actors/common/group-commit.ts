// Group commit for an entity: answers gather while earlier batches are being written, and
// each batch's answers are released only after it, and every batch before it, committed.
// Up to `depth` transactions are in flight at once, so the database, the network and the
// actor overlap instead of taking turns; they still commit in order, because each one is
// conditional on the version the one before it creates.

/** One answer owed to a caller, released when its batch is durable. */
export interface Owed {
  settle(): void;
  fail(err: Error): void;
}

export interface GroupCommitOptions<W> {
  /** Transactions in flight at once (1 = strictly one after another). */
  depth: number;
  /** Takes what changed since the last call, or undefined when nothing did. */
  takeWrites(): W | undefined;
  /**
   * Writes one batch. `afterPrevious` settles when the batch before it did; a write that
   * raced ahead of its predecessor (and so found the old version) may wait for it and try
   * again, which is why it is passed in.
   */
  write(writes: W, afterPrevious: Promise<void>): Promise<void>;
  /** A write failed: memory and store no longer agree. Called once; nothing is written after. */
  onFailure(err: unknown, owed: Owed[]): void;
  onCommitted?(writes: W): void;
}

interface Stage {
  owed: Owed[];
  done: Promise<void>;
}

export class GroupCommit<W> {
  private gathering: Owed[] = [];
  private readonly stages: Stage[] = [];
  private inFlight = 0;
  private tail: Promise<void> = Promise.resolve();
  private scheduled = false;
  private failed = false;

  constructor(private readonly opts: GroupCommitOptions<W>) {}

  get dead(): boolean {
    return this.failed;
  }

  /** Adds an answer to the gathering batch; the batch goes out at the end of this turn. */
  add(owed: Owed): void {
    if (this.failed) return;
    this.gathering.push(owed);
    if (this.scheduled) return;
    this.scheduled = true;
    // End of the turn, not now: the rest of a coalesced batch is decided right after this
    // message and belongs in the same transaction.
    queueMicrotask(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  /** Resolves when everything added so far is written and answered (or failed). */
  async idle(): Promise<void> {
    while (!this.failed && (this.inFlight > 0 || this.gathering.length > 0 || this.scheduled)) {
      await this.tail.catch(() => undefined);
      if (this.inFlight === 0 && this.gathering.length > 0) this.pump();
      await new Promise((r) => setImmediate(r));
    }
  }

  private pump(): void {
    while (!this.failed && this.gathering.length > 0 && this.inFlight < this.opts.depth) {
      const owed = this.gathering;
      this.gathering = [];
      const writes = this.opts.takeWrites();
      const previous = this.tail;
      if (writes === undefined) {
        // Nothing to write: these answers only wait for what is already in flight.
        this.tail = previous.then(() => owed.forEach((o) => o.settle()));
        this.tail.catch(() => undefined);
        const stage: Stage = { owed, done: this.tail };
        this.track(stage);
        continue;
      }
      this.inFlight++;
      const written = this.opts.write(writes, previous);
      this.tail = Promise.all([previous, written]).then(() => {
        this.opts.onCommitted?.(writes);
        owed.forEach((o) => o.settle());
      });
      const stage: Stage = { owed, done: this.tail };
      this.track(stage);
      written.then(
        () => {
          this.inFlight--;
          this.pump();
        },
        (err: unknown) => {
          this.inFlight--;
          this.fail(err);
        },
      );
    }
  }

  private track(stage: Stage): void {
    this.stages.push(stage);
    stage.done.then(
      () => this.stages.splice(this.stages.indexOf(stage), 1),
      (err: unknown) => this.fail(err),
    );
  }

  private fail(err: unknown): void {
    if (this.failed) return;
    this.failed = true;
    const owed = [...this.stages.flatMap((s) => s.owed), ...this.gathering];
    this.stages.length = 0;
    this.gathering = [];
    this.opts.onFailure(err, owed);
  }
}
