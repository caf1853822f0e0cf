// A cluster singleton that runs a job every interval on whichever node holds it, never two
// rounds at once: a slow round makes the next one wait rather than pile up.
import type { Singleton } from './node.ts';

export function periodicSingleton(name: string, intervalMs: number, round: () => Promise<unknown>): Singleton {
  return {
    name,
    start() {
      let running: Promise<unknown> | undefined;
      const timer = setInterval(() => {
        running ??= round().catch(() => undefined).finally(() => (running = undefined));
      }, intervalMs);
      return {
        async stop() {
          clearInterval(timer);
          await running;
        },
      };
    },
  };
}
