// A KV watch that does not die: the loop is started again when its iterator ends or fails
// (a NATS restart removes the consumer behind it, or the bucket itself), on every
// reconnect, and whenever its owner decides it has gone quiet.
import type { KvEntry, KvWatchInclude } from 'nats';
import type { Logger } from 'pino';
import type { TtlBucket } from './bucket.ts';

export interface WatchOptions {
  bucket: TtlBucket;
  include?: KvWatchInclude;
  onEntry(entry: KvEntry): void;
  /** Called after each (re)start once the watch has replayed the current values. */
  onReplayed?(): void;
  log: Logger;
}

export interface KeptWatch {
  /** Ends the current iterator; the loop starts a fresh one. */
  restart(): void;
  stop(): void;
}

export function keepWatching(opts: WatchOptions): KeptWatch {
  let stopped = false;
  let current: { stop(): void } | undefined;
  let wake: (() => void) | undefined;
  void (async () => {
    let failures = 0;
    while (!stopped) {
      try {
        const iter = await opts.bucket.kv.watch({
          ...(opts.include ? { include: opts.include } : {}),
          initializedFn: () => opts.onReplayed?.(),
        });
        if (stopped) {
          iter.stop();
          break;
        }
        current = iter;
        failures = 0;
        for await (const entry of iter) opts.onEntry(entry);
      } catch (err) {
        failures++;
        if (failures === 1 || failures % 20 === 0) opts.log.warn({ bucket: opts.bucket.name, err: String(err) }, 'KV watch failed; starting it again');
        await opts.bucket.recover(err);
      }
      current = undefined;
      if (stopped) break;
      // A short pause so a server that is still down is not asked in a tight loop.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(1000, 100 * 2 ** Math.min(failures, 4)));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  })();
  return {
    restart() {
      current?.stop();
      wake?.();
    },
    stop() {
      stopped = true;
      current?.stop();
      wake?.();
    },
  };
}
