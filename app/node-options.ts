// The part of a cluster node's options that comes straight from the configuration, shared
// by the real node role and the test/bench counter node so both join clusters alike.
import type { Config } from './config.ts';
import { appVersion } from './version.ts';

export function nodeSettings(config: Config) {
  return {
    cluster: config.cluster,
    nodeId: config.nodeId,
    shards: config.shards,
    leaseTtlMs: config.leaseTtlMs,
    mailboxLimit: config.mailboxLimit,
    idleTimeoutMs: config.idleTimeoutMs,
    version: appVersion,
    role: config.role,
  };
}
