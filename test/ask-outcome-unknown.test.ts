// What a caller is told when an ask's outcome is unknown, against a private NATS server
// (killed here, so never the shared one) and a subscriber that takes the ask and never
// answers, as a node does that acts on a message and dies before its reply:
// - an idempotent ask whose first attempt was delivered and whose resends cannot be sent
//   (NATS gone) ends as `timeout`, not as `unavailable` ("nothing was applied"): the gateway
//   tells a client that a 503 unavailable was not applied, and a charge may have been;
// - an ask in flight when the connection closes ends as `timeout` too.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { NatsConnection } from 'nats';
import { pino } from 'pino';
import { ClusterClient, TimeoutError, UnavailableError, connectNats, shardOf } from '../cluster/index.ts';
import { entitySubject } from '../cluster/addressing.ts';
import { startNats, type PrivateServer } from './support/private-servers.ts';

const port = 14227;
const cluster = `t_unknown_${process.pid}`;
const shards = 4;
let nats: PrivateServer;
const log = pino({ level: 'silent' });

test.before(async () => {
  nats = await startNats(port);
});

test.after(async () => {
  await nats?.destroy();
});

/** A connection whose subscriber takes every ask to `id` and answers none; resolves at the first. */
async function silentNode(id: string): Promise<{ nc: NatsConnection; took: Promise<void> }> {
  const nc = await connectNats(nats.url, 'silent-node', log);
  let took!: () => void;
  const first = new Promise<void>((resolve) => (took = resolve));
  nc.subscribe(entitySubject(cluster, 'charge', shardOf(id, shards), id), { callback: () => took() });
  await nc.flush();
  return { nc, took: first };
}

test('an idempotent ask delivered once, then unsendable, ends as timeout, not unavailable', async () => {
  const node = await silentNode('order-1');
  const nc = await connectNats(nats.url, 'caller', log);
  const client = new ClusterClient(nc, { cluster, shards, deadlineMs: 3000, inFlightLimit: 100, attemptTimeoutMs: 300 });
  const asked = client.ask('charge', 'order-1', { pay: 1 }, { idempotent: true }).then(() => 'answered', (err: unknown) => err);
  await node.took;
  // The node took it; NATS goes away before its reply, and every resend finds it down.
  await nats.kill('SIGKILL');
  let outcome: unknown;
  try {
    outcome = await asked;
  } finally {
    await nats.start();
    await Promise.all([nc.close(), node.nc.close()].map((p) => p.catch(() => undefined)));
  }
  assert.instance(outcome, TimeoutError, `told ${String(outcome)}`);
  assert.not.instance(outcome, UnavailableError);
});

test('an ask in flight when the connection closes ends as timeout (the node may have acted on it)', async () => {
  const node = await silentNode('order-2');
  const nc = await connectNats(nats.url, 'caller-2', log);
  const client = new ClusterClient(nc, { cluster, shards, deadlineMs: 3000, inFlightLimit: 100 });
  const asked = client.ask('charge', 'order-2', { pay: 1 }).then(() => 'answered', (err: unknown) => err);
  let outcome: unknown;
  try {
    await node.took;
    await nc.close();
    outcome = await asked;
  } finally {
    await node.nc.close().catch(() => undefined);
  }
  assert.instance(outcome, TimeoutError, `told ${String(outcome)}`);
});

test.run();
