// Operations: the ops port (health, readiness, metrics). The `cluster` CLI is ops/cli.ts.
export { startOpsServer, type OpsServer, type Readiness } from './server.ts';
