// Group commit for an entity: answers gather while earlier batches are being written, and
// each batch's answers are released only after it, and every batch before it, committed.
// Up to `depth` transactions are in flight at once, so the database, the network and the
// actor overlap instead of taking turns; they still commit in order, because each one is
// conditional on the version the one before it creates.
import { clusterMetrics } from '../../cluster/index.ts';

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
  /** Names the pipeline in the batch-size and commit-latency metrics (default "entity"). */
  name?: string;
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
  /** A write failed: start nothing new. Answers are failed once earlier stages settle. */
  private broken = false;
  private failed = false;

  constructor(private readonly opts: GroupCommitOptions<W>) {}

  get dead(): boolean {
    return this.broken || this.failed;
  }

  /** Adds an answer to the gathering batch; the batch goes out at the end of this turn. */
  add(owed: Owed): void {
    if (this.failed) return owed.fail(new Error('pipeline failed'));
    this.gathering.push(owed);
    if (this.scheduled || this.broken) return;
    this.scheduled = true;
    // End of the turn, not now: the rest of a coalesced batch is decided right after this
    // message and belongs in the same transaction.
    queueMicrotask(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  /** Resolves when nothing is in flight and everything added so far is answered (or failed). */
  async idle(): Promise<void> {
    for (;;) {
      if (this.inFlight === 0 && !this.scheduled && (this.failed || this.gathering.length === 0)) {
        await this.tail.catch(() => undefined);
        if (this.inFlight === 0 && !this.scheduled && (this.failed || this.gathering.length === 0)) return;
      }
      if (!this.broken && this.inFlight === 0 && this.gathering.length > 0) this.pump();
      await new Promise((r) => setImmediate(r));
    }
  }

  private pump(): void {
    while (!this.broken && this.gathering.length > 0 && this.inFlight < this.opts.depth) {
      const owed = this.gathering;
      this.gathering = [];
      const writes = this.opts.takeWrites();
      const previous = this.tail;
      // Each stage settles only after the one before it: answers go out in commit order,
      // and a failure is judged only once every earlier write has landed or failed.
      let done: Promise<void>;
      if (writes === undefined) {
        // Nothing to write: these answers only wait for what is already in flight.
        done = previous.then(() => owed.forEach((o) => o.settle()));
      } else {
        this.inFlight++;
        const started = performance.now();
        const written = this.opts.write(writes, previous);
        written.then(
          () => {
            const pipeline = this.opts.name ?? 'entity';
            clusterMetrics.groupCommitSeconds.observe({ pipeline }, (performance.now() - started) / 1000);
            clusterMetrics.groupCommitBatch.observe({ pipeline }, owed.length);
            this.inFlight--;
            this.pump();
          },
          () => {
            this.inFlight--;
            this.broken = true;
          },
        );
        done = previous.then(() => written).then(() => {
          this.opts.onCommitted?.(writes);
          owed.forEach((o) => o.settle());
        });
      }
      this.tail = done;
      const stage: Stage = { owed, done };
      this.stages.push(stage);
      done.then(
        () => this.stages.splice(this.stages.indexOf(stage), 1),
        (err: unknown) => this.fail(err),
      );
    }
  }

  private fail(err: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.broken = true;
    // Stages before the failed one have settled (they were spliced out); what remains was
    // decided on top of the failed write.
    const owed = [...this.stages.flatMap((s) => s.owed), ...this.gathering];
    this.stages.length = 0;
    this.gathering = [];
    this.opts.onFailure(err, owed);
  }
}
