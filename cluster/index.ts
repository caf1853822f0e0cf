// The cluster runtime's public surface: entities, ask/tell, nodes, typed errors.
// It knows nothing about commerce.
export type { EntityDefinition, AnyEntityDefinition, EntityContext, Reply } from './entity.ts';
export { ClusterClient, type AskOptions, type ClientOptions, type ClientStats } from './client.ts';
export { ClusterNode, type NodeOptions, type NodeService, type NodeStats, type Singleton } from './node.ts';
export {
  ClusterError, TimeoutError, UnavailableError, OverloadedError, InvalidError, RejectedError,
  toWireError, fromWireError, type WireError,
} from './errors.ts';
export { shardOf, rendezvousOwner, entityIdPattern } from './addressing.ts';
export { orAfter } from './or-after.ts';
export { connectNats } from './connection.ts';
export { Requester, RequestFailed } from './requester.ts';
export { JsonText } from './wire.ts';
export { ConnectionState } from './connection-state.ts';
export { clusterView, type ClusterView } from './admin.ts';
export { useBucketReplicas } from './bucket.ts';
export { periodicSingleton } from './periodic.ts';
export { clusterMetrics, gaugeSource, counterSource, attachRegistry, scrape, metricsContentType, processRegistry, type GaugeReading } from './metrics.ts';
export { JoinRefusedError, assertCanJoin, assertNodeIdFree, checkJoin, clusterProtocol, incompatibility } from './join-check.ts';
export { readStatus, ClusterWatch, type ClusterStatus, type MemberRow } from './status.ts';
export { serveDrain, drainNode, announceLeft, type DrainProgress } from './drain.ts';
export type { MemberDatabase, MemberInfo } from './membership.ts';
