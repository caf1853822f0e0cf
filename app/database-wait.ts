// A node joins the cluster only once MariaDB can serve it: reachable, its database there
// and migrated to this release. Joined without it, a node took shards and singletons and
// failed every request on them (an ops audit: a MYSQL_URL naming a database that did not
// exist gave checkouts 500, and 503s after the whole ask deadline), while `cluster status`
// showed it Up.
import type { Logger } from 'pino';
import { schemaProblem, type Pool } from '../stores/mysql/index.ts';

/** Resolves once `schemaProblem` finds nothing; says why it waits, on change and every 10 s. */
export async function untilDatabaseReady(pool: Pool, log: Logger, everyMs = 1000): Promise<void> {
  const started = Date.now();
  let said = '';
  let saidAt = 0;
  for (;;) {
    const problem = (await schemaProblem(pool))?.detail;
    if (problem === undefined) {
      if (said) log.info({ waitedMs: Date.now() - started }, 'MariaDB is ready; joining the cluster');
      return;
    }
    if (problem !== said || Date.now() - saidAt >= 10_000) {
      log.warn({ reason: problem, waitedMs: Date.now() - started }, 'waiting for MariaDB before joining the cluster');
      said = problem;
      saidAt = Date.now();
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
