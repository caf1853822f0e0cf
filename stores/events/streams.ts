// JetStream streams and their subjects. The default cluster "shop" uses the plain names
// (INVENTORY, inventory.>); any other cluster name prefixes both, so test suites and
// benches each get streams of their own on the shared server. The subject prefix is not
// the cluster name itself: `<cluster>.inventory.…` is where inventory entities listen,
// and a stream on it would capture their requests.
import { RetentionPolicy, StorageType, nanos, type JetStreamManager } from 'nats';

/**
 * What a stream keeps. A stream that a projection replays to rebuild itself keeps the
 * latest message per subject (one subject per key) for ever; a pure event log ages out.
 */
export interface StreamRetention {
  /** Messages older than this are dropped; 0 keeps them for ever. */
  maxAgeMs: number;
  /** Messages kept per subject (the newest); -1 for no limit. */
  maxMsgsPerSubject: number;
  /** How long a message id is remembered to drop a second publish of it (default 1 h). */
  duplicateWindowMs?: number;
}

export interface StreamNames {
  name: string;
  subjects: string;
  subject: (...tokens: string[]) => string;
  retention: StreamRetention;
}

const week = 7 * 24 * 3600_000;
/** A log: everything for a week. */
const eventLog: StreamRetention = { maxAgeMs: week, maxMsgsPerSubject: -1 };
/** The latest message per key, for ever (a compacted topic). */
const latestPerKey: StreamRetention = { maxAgeMs: 0, maxMsgsPerSubject: 1 };

function names(cluster: string, base: string, retention: StreamRetention = eventLog): StreamNames {
  const subjectPrefix = cluster === 'shop' ? '' : `ev_${cluster}.`;
  const streamPrefix = cluster === 'shop' ? '' : `${cluster.toUpperCase()}_`;
  const lower = base.toLowerCase();
  return {
    name: `${streamPrefix}${base}`,
    subjects: `${subjectPrefix}${lower}.>`,
    subject: (...tokens) => `${subjectPrefix}${lower}.${tokens.join('.')}`,
    retention,
  };
}

export const inventoryStream = (cluster: string) => names(cluster, 'INVENTORY');
export const ordersStream = (cluster: string) => names(cluster, 'ORDERS');
/**
 * Supplier inbound: `catalog.product.<sku>` carries a whole product document. Every node's
 * embedded search index rebuilds by replaying it, so it keeps each SKU's latest document
 * for ever: a product onboarded a year ago is still in a node started today.
 */
export const catalogStream = (cluster: string) => names(cluster, 'CATALOG', latestPerKey);
/** Every search (`search.query.<kind>`), for analytics and recommendations. */
// Every search carries its id (a search asked again is kept once): two minutes cover the
// retries and a member that answered late, where an hour would keep an id per search.
export const searchStream = (cluster: string) => names(cluster, 'SEARCH', { ...eventLog, duplicateWindowMs: 120_000 });
/** The clickstream (`events.<type>.<user|anonymous>`): views, clicks, cart and wishlist adds. */
export const eventsStream = (cluster: string) => names(cluster, 'EVENTS');

let streamReplicas = 1;
/** Replicas of the streams this process creates (JETSTREAM_REPLICAS: 3 on a three-server NATS cluster). */
export function useStreamReplicas(replicas: number): void {
  streamReplicas = replicas;
}

/**
 * Creates the stream when missing, and brings an existing one's retention to what the
 * code says (a stream created by an older version may still age its messages out). The
 * duplicate window is long because it is what turns a relay that published and died
 * before marking the row into exactly-once delivery.
 */
export async function ensureStream(jsm: JetStreamManager, stream: StreamNames): Promise<void> {
  const retention = {
    max_age: stream.retention.maxAgeMs === 0 ? 0 : nanos(stream.retention.maxAgeMs),
    max_msgs_per_subject: stream.retention.maxMsgsPerSubject,
    duplicate_window: nanos(stream.retention.duplicateWindowMs ?? 3600_000),
  };
  let existing;
  try {
    existing = await jsm.streams.info(stream.name);
  } catch {
    existing = undefined;
  }
  if (!existing) {
    try {
      await jsm.streams.add({
        name: stream.name,
        subjects: [stream.subjects],
        retention: RetentionPolicy.Limits,
        storage: StorageType.File,
        num_replicas: streamReplicas,
        ...retention,
      });
      return;
    } catch (err) {
      // Another node created it between the two calls; fall through and check its config.
      existing = await jsm.streams.info(stream.name).catch(() => { throw err; });
    }
  }
  const c = existing.config;
  // The server reports "no limit per subject" as -1 or 0 depending on version.
  const perSubject = (c.max_msgs_per_subject ?? -1) <= 0 ? -1 : c.max_msgs_per_subject;
  const wanted = retention.max_msgs_per_subject <= 0 ? -1 : retention.max_msgs_per_subject;
  if ((c.max_age ?? 0) !== retention.max_age || perSubject !== wanted || c.duplicate_window !== retention.duplicate_window) {
    await jsm.streams.update(stream.name, { ...c, ...retention });
    if (wanted > 0) await compact(jsm, stream.name, wanted);
  }
}

/**
 * The server applies a new per-subject limit only when a subject next receives a message,
 * so the older messages of every subject are purged once, when the limit is introduced.
 */
async function compact(jsm: JetStreamManager, name: string, keep: number): Promise<void> {
  const info = await jsm.streams.info(name, { subjects_filter: '>' } as never);
  const subjects = (info.state as { subjects?: Record<string, number> }).subjects ?? {};
  for (const [subject, count] of Object.entries(subjects)) {
    if (count > keep) await jsm.streams.purge(name, { filter: subject, keep });
  }
}
