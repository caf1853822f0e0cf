// A KV watch that does not die: the loop is started again when its iterator ends or fails
// (a NATS restart removes the consumer behind it, or the bucket itself), on every
// reconnect (`restartOnReconnect`), when nothing came for `restartWhenQuietMs`, and
// whenever its owner decides it has gone quiet.
import type { KvEntry, KvWatchInclude, NatsConnection } from 'nats';
import { ConnectionState } from './connection-state.ts';
import type { Logger } from 'pino';
import type { TtlBucket } from './bucket.ts';

export interface WatchOptions {
  bucket: TtlBucket;
  include?: KvWatchInclude;
  onEntry(entry: KvEntry): void;
  /** Called after each (re)start once the watch has replayed the current values. */
  onReplayed?(): void;
  /** Called when a restart is asked for, before the next watch replays the values again. */
  onRestart?(): void;
  /** Started again when no entry came for this long (for a bucket written to steadily). */
  restartWhenQuietMs?: number;
  /** Started again on each reconnect of this connection. */
  restartOnReconnect?: NatsConnection;
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
  let lastEntry = performance.now();
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
        for await (const entry of iter) {
          lastEntry = performance.now();
          opts.onEntry(entry);
        }
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
  const restart = () => {
    lastEntry = performance.now();
    opts.onRestart?.();
    current?.stop();
    wake?.();
  };
  const quietMs = opts.restartWhenQuietMs;
  const quiet = quietMs === undefined ? undefined : setInterval(() => {
    if (performance.now() - lastEntry > quietMs) restart();
  }, Math.max(100, Math.floor(quietMs / 2)));
  quiet?.unref();
  const offReconnect = opts.restartOnReconnect ? ConnectionState.of(opts.restartOnReconnect).onReconnect(restart) : undefined;
  return {
    restart,
    stop() {
      stopped = true;
      clearInterval(quiet);
      offReconnect?.();
      current?.stop();
      wake?.();
    },
  };
}
