// The actor-node role: registers every entity type and cluster singleton, joins the cluster.
import { ClusterNode } from '../cluster/index.ts';
import { expirySweeper, inventoryEntity } from '../actors/inventory/index.ts';
import { ensureStream, inventoryStream, OutboxRelay } from '../stores/events/index.ts';
import { InventoryRepository } from '../stores/mysql/inventory.ts';
import { sessionEntity } from '../actors/session/index.ts';
import { cartEntity } from '../actors/cart/index.ts';
import { SessionRepository } from '../stores/mysql/sessions.ts';
import { CartRepository } from '../stores/mysql/carts.ts';
import { ProductRepository } from '../stores/mysql/products.ts';
import type { AppContext } from './context.ts';

const dedupWindowMs = 24 * 3600_000;

export async function startNode(ctx: AppContext): Promise<ClusterNode> {
  const { config, log, nc, pool, client } = ctx;
  const stream = inventoryStream(config.cluster);
  await ensureStream(await nc.jetstreamManager(), stream);
  const relay = new OutboxRelay(pool, nc.jetstream(), log.child({ job: 'outbox-relay' }));
  const repo = new InventoryRepository(pool, dedupWindowMs);
  return ClusterNode.start({
    nc,
    cluster: config.cluster,
    nodeId: config.nodeId,
    shards: config.shards,
    leaseTtlMs: config.leaseTtlMs,
    mailboxLimit: config.mailboxLimit,
    idleTimeoutMs: config.idleTimeoutMs,
    log: log.child({ node: config.nodeId }),
    entities: [
      inventoryEntity({
        repo,
        dedupWindowMs,
        commitDepth: config.inventoryCommitDepth,
        eventSubject: (e) => stream.subject(e.kind, e.sku),
        onEventsCommitted: () => relay.kick(),
      }),
      sessionEntity({ repo: new SessionRepository(pool) }),
      cartEntity({ repo: new CartRepository(pool), products: new ProductRepository(pool) }),
    ],
    singletons: [
      { name: 'outbox-relay', start: () => relay.start() },
      expirySweeper({ repo, client, log: log.child({ job: 'expiry-sweeper' }), intervalMs: 1000 }),
    ],
  });
}
