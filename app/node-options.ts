// The part of a cluster node's options that comes straight from the configuration, shared
// by the real node role and the test/bench counter node so both join clusters alike.
import type { MemberInfo } from '../cluster/index.ts';
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
    // Paused past its record's TTL and replaced by a process with the same NODE_ID: exit as
    // after a crash (its writes are fenced already), not a graceful stop, which would act on
    // the replacement's record.
    onSuperseded: (by: MemberInfo) => {
      process.stderr.write(`NODE_ID=${config.nodeId} was taken by a later process (pid ${by.pid}, started ${by.startedAt}) while this one was paused; exiting\n`);
      process.exit(3);
    },
  };
}
