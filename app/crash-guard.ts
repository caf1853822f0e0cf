// What a process does with a promise rejection nobody handled. A dependency's connection
// failing under a background refresh (Redis restarting, MariaDB failing over) is a bad
// day, not a bug: it is logged and counted, and the process keeps serving from what it
// has, because killing every node at once for it turned a 3-second Redis restart into a
// dead cluster. Anything else is a bug, and the process exits so a supervisor restarts
// it from a clean state, as Node would by default.
import type { Logger } from 'pino';
import { isConnectionError } from '../stores/mysql/index.ts';
import { isRedisConnectionLoss } from '../stores/redis/failures.ts';

export function isDependencyOutage(err: unknown): boolean {
  return isConnectionError(err) || isRedisConnectionLoss(err);
}

export function guardUnhandledRejections(log: Logger, onSurvived: () => void = () => undefined): void {
  process.on('unhandledRejection', (reason) => {
    if (isDependencyOutage(reason)) {
      onSurvived();
      log.error({ err: reason }, 'unhandled rejection from a dependency outage; still serving');
      return;
    }
    log.fatal({ err: reason }, 'unhandled rejection; exiting');
    process.exit(1);
  });
}
