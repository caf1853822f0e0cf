// Fewer, larger writes to the NATS socket under load. nats.js writes what was published
// during one synchronous run as one socket write, but a busy gateway or node publishes from
// many callbacks (one per HTTP request, one per committed batch), so each ask and each reply
// was its own write, and on this kind of VM a loopback write that wakes another process costs
// far more than the bytes: it showed as the largest single item of both processes' profiles.
//
// The pacer leaves a lightly used connection alone: while the last 100 ms saw fewer than two
// messages per gap (400 a second at the default 5 ms), every publish goes out at once, so a
// lone request, the actor sale's lockstep or a quiet shop never waits. Busier than that, a
// publish that follows a write within `gapMs` waits for the rest of the gap, with every other
// publish made meanwhile, so a busy connection is written about once per gap and each write
// carries many messages. Whatever is published in one synchronous run still goes together,
// as nats.js sends it.
import type { NatsConnection } from 'nats';
import { counterSource } from './metrics.ts';

const bucketMs = 100;

export class WritePacer {
  private waiting: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;
  private lastOpened = -Infinity;
  /** True from an immediate send until the end of its run (nats.js flushes in a microtask). */
  private open = false;
  private readonly close = () => {
    this.open = false;
  };

  private bucket = 0;
  private inBucket = 0;
  private inPreviousBucket = 0;
  private readonly busyPerBucket: number;
  /** Messages sent at once, messages held to the end of a gap, and the releases that sent those. */
  readonly stats = { atOnce: 0, held: 0, releases: 0 };

  /** `busyPerSecond`: the rate from which it paces (two messages per gap unless given; 0: always). */
  constructor(readonly gapMs: number, busyPerSecond = gapMs > 0 ? 2000 / gapMs : 0) {
    this.busyPerBucket = busyPerSecond / (1000 / bucketMs);
  }

  /** Calls `publish` (which sends `messages`) now, or at the end of the current gap together with the others. */
  run(publish: () => void, messages = 1): void {
    if (this.gapMs > 0) {
      const now = performance.now();
      const busy = this.count(now, messages);
      if (this.timer) return this.hold(publish, messages);
      const wait = this.lastOpened + this.gapMs - now;
      if (!this.open && wait > 0 && busy) {
        this.timer = setTimeout(this.release, wait);
        return this.hold(publish, messages);
      }
      if (!this.open) this.openRun(now);
    }
    this.stats.atOnce += messages;
    publish();
  }

  /** Sends what is held now (the connection is about to drain or close). */
  flush(): void {
    if (!this.timer) return;
    clearTimeout(this.timer);
    this.release();
  }

  private hold(publish: () => void, messages: number): void {
    this.stats.held += messages;
    this.waiting.push(publish);
  }

  private readonly release = () => {
    this.timer = undefined;
    this.stats.releases++;
    const waiting = this.waiting;
    this.waiting = [];
    this.openRun(performance.now());
    for (const publish of waiting) {
      try {
        publish();
      } catch {
        // Each publish handles its own failure (a closed connection); one must not strand the rest.
      }
    }
  };

  /** Counts messages; true when the last full 100 ms saw them at the busy rate. */
  private count(now: number, messages: number): boolean {
    const bucket = Math.floor(now / bucketMs);
    if (bucket !== this.bucket) {
      this.inPreviousBucket = bucket === this.bucket + 1 ? this.inBucket : 0;
      this.bucket = bucket;
      this.inBucket = 0;
    }
    this.inBucket += messages;
    return this.inPreviousBucket >= this.busyPerBucket;
  }

  private openRun(now: number): void {
    this.lastOpened = now;
    this.open = true;
    queueMicrotask(this.close);
  }
}

/** A busy connection's gap between writes when none is configured (NATS_WRITE_GAP_MS). */
export const defaultWriteGapMs = 5;

const pacers = new WeakMap<NatsConnection, WritePacer>();

/**
 * Makes `pacer` the one of `nc`. What it holds goes out before the connection drains or
 * closes: a node leaving the cluster published its last answers into the pacer and then
 * drained its connection, and an answer still held then was lost (its caller timed out).
 */
function attach(nc: NatsConnection, pacer: WritePacer): void {
  pacers.set(nc, pacer);
  const drain = nc.drain.bind(nc);
  const close = nc.close.bind(nc);
  nc.drain = () => {
    pacer.flush();
    return drain();
  };
  nc.close = () => {
    pacer.flush();
    return close();
  };
}

/**
 * Sets the pacer every paced publisher on `nc` shares (connectNats does, from the
 * configuration). `busyPerSecond`: see WritePacer (tests pass 0 to hold from the start).
 */
export function pace(nc: NatsConnection, gapMs: number, busyPerSecond?: number): void {
  const pacer = new WritePacer(gapMs, busyPerSecond);
  attach(nc, pacer);
  const unregister = [
    counterSource('shop_nats_publishes_total', "The cluster's requests and replies published, by whether the write pacer sent them at once or held them to the end of a gap", ['how'], () => [
      [{ how: 'at_once' }, pacer.stats.atOnce],
      [{ how: 'held' }, pacer.stats.held],
    ]),
    counterSource('shop_nats_paced_releases_total', 'Ends of a gap that sent held messages together (held ÷ releases = messages per paced write)', [], () => pacer.stats.releases),
  ];
  void nc.closed().then(() => unregister.forEach((u) => u()));
}

/** The one pacer of a connection, made with the default gap if none was set. */
export function pacerOf(nc: NatsConnection): WritePacer {
  let pacer = pacers.get(nc);
  if (!pacer) {
    pacer = new WritePacer(defaultWriteGapMs);
    attach(nc, pacer);
  }
  return pacer;
}
