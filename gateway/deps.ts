// What the gateway needs from the rest of the process, passed in so tests can build it.
import type { ClusterClient } from '../cluster/index.ts';

export interface GatewayDeps {
  client: ClusterClient;
  adminToken: string | undefined;
  /** Each dependency's state: "ok" or why not. */
  readiness(): Promise<Record<string, string>>;
  /** The cluster as an operator sees it (nodes, shard owners, actors). */
  clusterView(): Promise<unknown>;
}
