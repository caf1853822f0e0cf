// Turns an async-starting job (a JetStream consumer) into a cluster Singleton: it starts in
// the background, retries its start with backoff, and stop() waits for whatever started.
import type { Logger } from 'pino';
import type { Singleton } from '../../cluster/index.ts';

export function asyncSingleton(name: string, log: Logger, start: () => Promise<{ stop(): Promise<void> }>): Singleton {
  return {
    name,
    start() {
      let stopped = false;
      let running: { stop(): Promise<void> } | undefined;
      const started = (async () => {
        for (let attempt = 0; !stopped; attempt++) {
          try {
            running = await start();
            if (stopped) await running.stop();
            return;
          } catch (err) {
            log.warn({ err: String(err), job: name, attempt }, 'job failed to start; retrying');
            await new Promise((r) => setTimeout(r, Math.min(5000, 200 * 2 ** attempt)));
          }
        }
      })();
      return {
        async stop() {
          stopped = true;
          await started;
          await running?.stop();
        },
      };
    },
  };
}
