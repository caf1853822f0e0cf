// Wires the ops port and this process's gauges: asks in flight, DB pool use, and on actor
// nodes the outbox backlog and consumer lag. Readiness means, for a node: connected to NATS,
// serving every shard placement gives it, and its consumers caught up; for a gateway: its
// dependencies answer and at least one actor node is live.
import type { NatsConnection } from 'nats';
import { ConnectionState, counterSource, gaugeSource, rendezvousOwner, type ClusterNode } from '../cluster/index.ts';
import { runningConsumers, type OutboxRetention } from '../stores/events/index.ts';
import { schemaProblem, type Journal, type Pool } from '../stores/mysql/index.ts';
import { startOpsServer, type OpsServer } from '../ops/index.ts';
import type { AppContext } from './context.ts';

/** Connections in use, idle, and requests waiting for one, of a mysql2 pool. */
export function poolGauge(pool: Pool, name: string): () => void {
  // mysql2's promise pool wraps a core pool whose queues are not in its typings.
  const core = (pool as unknown as { pool: { _allConnections: { length: number }; _freeConnections: { length: number }; _connectionQueue: { length: number }; config: { connectionLimit: number } } }).pool;
  return gaugeSource('shop_db_pool_connections', 'MariaDB pool connections by state (in_use, idle, waiting for one, limit)', ['pool', 'state'], () => {
    const all = core._allConnections.length;
    const idle = core._freeConnections.length;
    return [
      [{ pool: name, state: 'in_use' }, all - idle],
      [{ pool: name, state: 'idle' }, idle],
      [{ pool: name, state: 'waiting' }, core._connectionQueue.length],
      [{ pool: name, state: 'limit' }, core.config.connectionLimit],
    ];
  });
}

/**
 * The node journal's batches by how they committed, the batches it had to send a second
 * time part by part, and its parts by outcome: a rising share of second tries means parts
 * keep failing (fenced writers after a takeover, refused orders), each costing its batch a
 * round trip.
 */
export function journalCounters(journal: Journal): () => void {
  const s = journal.stats;
  const stops = [
    counterSource('shop_journal_batches_total', 'Node journal batches: committed together at the first try, committed part by part, or failed as a whole', ['how'], () => [
      [{ how: 'together' }, s.together], [{ how: 'part_by_part' }, s.batches - s.together], [{ how: 'failed' }, s.batchFailures],
    ]),
    counterSource('shop_journal_second_tries_total', 'Node journal batches sent again part by part because a part failed when sent together', [], () => s.isolated),
    counterSource('shop_journal_parts_total', 'Node journal parts (one entity write each): committed, or failed alone', ['outcome'], () => [
      [{ outcome: 'committed' }, s.parts], [{ outcome: 'failed' }, s.partFailures],
    ]),
    counterSource('shop_journal_merged_parts_total', 'Node journal parts committed inside a merged write of their kind (carts: one guard, one update, one upsert for all)', [], () => s.merged),
  ];
  return () => stops.forEach((stop) => stop());
}

/** Published outbox rows this process deleted past their retention (stores/events/outbox-retention.ts). */
export function outboxPurgedCounter(retention: OutboxRetention): () => void {
  return counterSource('shop_outbox_purged_total', 'Published outbox rows deleted past OUTBOX_RETENTION_HOURS by this process', [], () => retention.purged);
}

/**
 * Whether NATS is connected right now, worded as the gateway's /readyz words it
 * (`reconnecting` while the client tries again; the docs promised that word for both).
 */
function natsState(nc: NatsConnection): () => string {
  const state = ConnectionState.of(nc);
  return () => (nc.isClosed() ? 'closed' : state.up ? 'ok' : 'reconnecting');
}

/** Shards placement gives this node that it does not serve yet (empty when it serves them all). */
export function missingShards(node: ClusterNode, shards: number): number[] {
  const live = node.membersView().map((m) => m.nodeId);
  if (!live.includes(node.nodeId)) live.push(node.nodeId);
  const owned = new Set(node.servingShards());
  const missing: number[] = [];
  for (let s = 0; s < shards; s++) if (rendezvousOwner(s, live) === node.nodeId && !owned.has(s)) missing.push(s);
  return missing;
}

/**
 * What the process runs, read when asked: the ops port starts before the node joins (it
 * waits for MariaDB first, app/database-wait.ts) and before the gateway listens, so its
 * /readyz can say what the process is waiting for.
 */
export interface OpsParts {
  /** This process runs a node (ROLE node or all), joined or not yet. */
  nodeRole: boolean;
  node(): ClusterNode | undefined;
  /** What a node not joined yet is waiting for (its /readyz says it). */
  joining?: () => string;
  gatewayReadiness?: (scope: 'all' | 'own') => Promise<Record<string, string>>;
}

/** Registers the gauges; starts the ops port when OPS_PORT is set. */
export async function startOps(ctx: AppContext, parts: OpsParts): Promise<OpsServer | undefined> {
  const { config, nc, pool, client } = ctx;
  gaugeSource('shop_asks_in_flight', 'Asks from this process waiting or in flight', [], () => client.stats().inFlight);
  poolGauge(pool, 'main');
  const nats = natsState(nc);
  if (parts.nodeRole) {
    let backlog: { at: number; value: Promise<number> } | undefined;
    gaugeSource('shop_outbox_backlog', 'Outbox rows committed and not yet relayed to JetStream', [], () => {
      // One count per second at most, however often it is scraped.
      if (!backlog || Date.now() - backlog.at > 1000) {
        backlog = {
          at: Date.now(),
          value: pool.query('SELECT COUNT(*) AS n FROM outbox WHERE published_at IS NULL').then(([rows]) => Number((rows as { n: number }[])[0]?.n ?? 0)),
        };
      }
      return backlog.value;
    });
    gaugeSource('shop_consumer_lag', 'Stream messages a consumer running in this process has not been handed yet', ['stream', 'consumer'], async () => {
      const rows = await Promise.all(runningConsumers().map(async (c) => [{ stream: c.stream, consumer: c.consumer }, await c.lag().catch(() => 0)] as [Record<string, string>, number]));
      return rows;
    });
  }
  if (config.opsPort === undefined) return undefined;
  return startOpsServer({
    host: config.opsHost,
    port: config.opsPort,
    async readiness() {
      const checks: Record<string, string> = { nats: nats() };
      if (parts.nodeRole) {
        // API.md: NATS, Redis and MariaDB reachable; a node's database unreachable (or missing:
        // MYSQL_URL naming one never migrated) used to leave its /readyz at 200.
        const check = async (f: () => Promise<unknown>) => f().then(() => 'ok', (err: unknown) => String((err as Error).message ?? err));
        const [redis, mariadb] = await Promise.all([check(() => ctx.redis.ping()), schemaProblem(pool).then((problem) => problem?.detail ?? 'ok')]);
        Object.assign(checks, { redis, mariadb });
        const node = parts.node();
        if (!node) {
          checks.shards = `not joined yet: ${parts.joining?.() ?? 'starting'}`;
          return checks;
        }
        const missing = missingShards(node, config.shards);
        checks.shards = node.leaving ? `leaving: handing its shards to the other nodes`
          : missing.length === 0 ? 'ok' : `not yet serving ${missing.length} shard(s) placement gives it: ${missing.slice(0, 8).join(', ')}`;
        const behind = runningConsumers().filter((c) => !c.caughtUp()).map((c) => `${c.stream}/${c.consumer}`);
        checks.consumers = behind.length === 0 ? 'ok' : `catching up: ${behind.join(', ')}`;
      }
      // With a node in the process (ROLE=all) the gateway adds only its own checks: NATS,
      // Redis and MariaDB were asked above, with the node's more telling words.
      if (parts.gatewayReadiness) Object.assign(checks, await parts.gatewayReadiness(parts.nodeRole ? 'own' : 'all'));
      return checks;
    },
  });
}
