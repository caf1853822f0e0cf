// A gateway stopped (SIGSTOP, a long GC pause, a frozen VM) in the middle of an admin's
// change of delivery zones must not keep the zones' named lock: every change of zones, on
// every gateway, takes it, and waits at most 5 s for it before answering 503. The change
// goes as one compound statement that frees the lock inside the server; before, the lock
// (and the cluster's and zones' rows) stayed held for as long as the process stayed
// stopped. Real MariaDB, a real process stopped with SIGSTOP (user-lock-stopped-writer's
// technique). Also the repository's answers: taken zones, and a busy lock.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { freshDatabase } from './support/harness.ts';
import { stopWriterInside } from './support/stopped-writer.ts';
import { LogisticsRepository } from '../stores/mysql/logistics.ts';
import { StoreUnavailableError } from '../stores/mysql/errors.ts';

const db = freshDatabase(test, 'zonesstop');

test('a zone change stopped in its middle leaves the next change free once the server could finish', async () => {
  const repo = new LogisticsRepository(db.pool);
  // Holds the zone row the writer will insert, so the writer waits inside its change (the
  // named lock taken, the cluster row written) until we let go.
  const stopped = await stopWriterInside(db.pool, {
    hold: ["INSERT INTO delivery_zones (country, postal_prefix, cluster_id) VALUES ('US', '021', 'someone-else')", []],
    script: 'test/support/zones-writer.ts', env: { ...db.env.env, MYSQL_URL: db.env.mysqlUrl, CLUSTER_ID: 'us-stopped', PREFIX: '021' }, says: /changing the zones/, statement: 'INSERT INTO delivery_zones',
  });
  try {
    // Another admin's change (another gateway): done, not refused after its 5 s wait.
    const started = Date.now();
    const err = await repo.putClusterWithZones({ clusterId: 'us-other', name: 'Other', country: 'US' }, ['100']).then((taken) => {
      assert.equal(taken, []);
      return undefined;
    }, (e: unknown) => e);
    assert.is(err, undefined, `the next change of zones was refused after ${Date.now() - started} ms: ${String(err)}`);
    // And the stopped writer's change was made whole (committed in the server).
    const [rows] = await db.pool.query("SELECT z.postal_prefix, c.name FROM delivery_zones z JOIN delivery_clusters c ON c.cluster_id = z.cluster_id WHERE z.cluster_id = 'us-stopped'");
    assert.equal(rows, [{ postal_prefix: '021', name: 'Stopped' }]);
  } finally {
    await stopped.end();
  }
});

test('a prefix of another cluster is returned and nothing changes; the lock is free afterwards', async () => {
  const repo = new LogisticsRepository(db.pool);
  assert.equal(await repo.putClusterWithZones({ clusterId: 'us-a', name: 'A', country: 'US' }, ['300', '301']), []);
  const taken = await repo.putClusterWithZones({ clusterId: 'us-b', name: 'B', country: 'US' }, ['301', '302']);
  assert.equal(taken, [{ country: 'US', postalPrefix: '301', clusterId: 'us-a' }]);
  const [b] = await db.pool.query("SELECT COUNT(*) AS n FROM delivery_clusters WHERE cluster_id = 'us-b'");
  assert.is(Number((b as { n: number }[])[0]?.n), 0);
  // A cluster's zones replaced whole, and emptied.
  assert.equal(await repo.putClusterWithZones({ clusterId: 'us-a', name: 'A2', country: 'US' }, ['303']), []);
  assert.equal((await repo.zones()).filter((z) => z.clusterId === 'us-a'), [{ country: 'US', postalPrefix: '303', clusterId: 'us-a' }]);
  assert.equal(await repo.putClusterWithZones({ clusterId: 'us-a', name: 'A2', country: 'US' }, []), []);
  assert.equal((await repo.zones()).filter((z) => z.clusterId === 'us-a'), []);
  const [free] = await db.pool.query("SELECT IS_FREE_LOCK(CONCAT(DATABASE(), '.delivery_zones')) AS free");
  assert.is(Number((free as { free: number }[])[0]?.free), 1);
});

test('while another session holds the zones lock, a change is refused as unavailable and changes nothing', async () => {
  const repo = new LogisticsRepository(db.pool);
  const holder = await db.pool.getConnection();
  try {
    await holder.query("SELECT GET_LOCK(CONCAT(DATABASE(), '.delivery_zones'), 0)");
    const err = await repo.putClusterWithZones({ clusterId: 'us-busy', name: 'Busy', country: 'US' }, ['400']).then(() => undefined, (e: unknown) => e);
    assert.instance(err, StoreUnavailableError);
    assert.match(String((err as Error).message), /being changed by another request/);
    const [rows] = await db.pool.query("SELECT COUNT(*) AS n FROM delivery_clusters WHERE cluster_id = 'us-busy'");
    assert.is(Number((rows as { n: number }[])[0]?.n), 0);
  } finally {
    await holder.query("SELECT RELEASE_LOCK(CONCAT(DATABASE(), '.delivery_zones'))");
    holder.release();
  }
});

test.run();
