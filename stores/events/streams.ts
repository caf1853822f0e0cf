// JetStream streams and their subjects. The default cluster "shop" uses the plain names
// (INVENTORY, inventory.>); any other cluster name prefixes both, so test suites and
// benches each get streams of their own on the shared server. The subject prefix is not
// the cluster name itself: `<cluster>.inventory.…` is where inventory entities listen,
// and a stream on it would capture their requests.
import { RetentionPolicy, StorageType, nanos, type JetStreamManager } from 'nats';

export interface StreamNames {
  name: string;
  subjects: string;
  subject: (...tokens: string[]) => string;
}

function names(cluster: string, base: string): StreamNames {
  const subjectPrefix = cluster === 'shop' ? '' : `ev_${cluster}.`;
  const streamPrefix = cluster === 'shop' ? '' : `${cluster.toUpperCase()}_`;
  const lower = base.toLowerCase();
  return {
    name: `${streamPrefix}${base}`,
    subjects: `${subjectPrefix}${lower}.>`,
    subject: (...tokens) => `${subjectPrefix}${lower}.${tokens.join('.')}`,
  };
}

export const inventoryStream = (cluster: string) => names(cluster, 'INVENTORY');
export const ordersStream = (cluster: string) => names(cluster, 'ORDERS');
/** Supplier inbound: `catalog.product.<sku>` carries a whole product document. */
export const catalogStream = (cluster: string) => names(cluster, 'CATALOG');
/** Every search (`search.query.<kind>`), for analytics and recommendations. */
export const searchStream = (cluster: string) => names(cluster, 'SEARCH');

let streamReplicas = 1;
/** Replicas of the streams this process creates (JETSTREAM_REPLICAS: 3 on a three-server NATS cluster). */
export function useStreamReplicas(replicas: number): void {
  streamReplicas = replicas;
}

/**
 * Creates the stream when missing. The duplicate window is long because it is what turns
 * a relay that published and died before marking the row into exactly-once delivery.
 */
export async function ensureStream(jsm: JetStreamManager, stream: StreamNames): Promise<void> {
  const config = {
    name: stream.name,
    subjects: [stream.subjects],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: nanos(7 * 24 * 3600_000),
    duplicate_window: nanos(3600_000),
    num_replicas: streamReplicas,
  };
  try {
    await jsm.streams.info(stream.name);
  } catch {
    await jsm.streams.add(config);
  }
}
