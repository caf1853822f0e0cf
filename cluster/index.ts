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
export { connectNats } from './connection.ts';
export { ConnectionState } from './connection-state.ts';
export { clusterView, type ClusterView } from './admin.ts';
export { periodicSingleton } from './periodic.ts';
