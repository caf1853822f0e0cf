// Published outbox rows older than the retention are deleted, a chunk at a time; rows
// still waiting for the relay and recently published ones stay. Against the real MariaDB.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OutboxRetention } from '../stores/events/index.ts';
import { freshDatabase, testLog } from './support/harness.ts';

const db = freshDatabase(test, 'outboxret');

async function row(subject: string, publishedHoursAgo: number | null, createdHoursAgo = 30): Promise<void> {
  await db.pool.query(
    `INSERT INTO outbox (subject, payload, created_at, published_at)
     VALUES (?, '{}', NOW(3) - INTERVAL ? HOUR, IF(? IS NULL, NULL, NOW(3) - INTERVAL ? HOUR))`,
    [subject, createdHoursAgo, publishedHoursAgo, publishedHoursAgo],
  );
}

const subjects = async () => {
  const [rows] = await db.pool.query('SELECT subject FROM outbox ORDER BY id');
  return (rows as { subject: string }[]).map((r) => r.subject);
};

test('published rows past the retention go, a bounded number of chunks a round; pending and recent rows stay', async () => {
  for (let i = 0; i < 12; i++) await row(`old-published-${i}`, 30);
  await row('pending-for-a-day', null);
  await row('published-an-hour-ago', 1);
  await row('published-just-past-retention', 25, 26);

  const retention = new OutboxRetention({ pool: db.pool, keepMs: 24 * 3600_000, log: testLog, chunk: 5, maxChunks: 2 });
  assert.is(await retention.purgeOnce(), 10, 'two chunks of five in the first round');
  assert.is(await retention.purgeOnce(), 3, 'the rest in the next');
  assert.is(await retention.purgeOnce(), 0);
  assert.is(retention.purged, 13);
  assert.equal(await subjects(), ['pending-for-a-day', 'published-an-hour-ago']);
});

test.run();
