// Text for `cluster status` and `cluster watch`: a table of members and a summary line.
import type { ClusterStatus } from '../../cluster/index.ts';

/** The JSON `cluster status --json` prints: one object, stable keys. */
export function statusJson(s: ClusterStatus) {
  return {
    members: s.members.map((m) => ({
      nodeId: m.nodeId, status: m.status, shards: m.shards, actors: m.actors, singletons: m.singletons,
      host: m.host, pid: m.pid, version: m.version, role: m.role,
    })),
    unownedShards: s.unownedShards,
    singletons: s.singletons,
  };
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

/** Compact "0-3,7,9-11" for a list of shard numbers. */
export function ranges(list: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < list.length; i++) {
    let j = i;
    while (j + 1 < list.length && list[j + 1] === list[j]! + 1) j++;
    out.push(i === j ? String(list[i]) : `${list[i]}-${list[j]}`);
    i = j;
  }
  return out.join(',');
}

export function statusText(s: ClusterStatus): string {
  const head = `cluster "${s.cluster}": ${s.members.length} member(s), ${s.shardCount} shards, ${s.unownedShards.length} unowned`;
  if (s.members.length === 0) return `${head}\nno live actor node (is "${s.cluster}" the cluster's name? CLUSTER or --cluster)`;
  const rows = [['NODE', 'HOST', 'PID', 'VERSION', 'ROLE', 'STATUS', 'SHARDS', 'ACTORS', 'MAILBOX', 'SINGLETONS']];
  for (const m of s.members) {
    rows.push([m.nodeId, m.host, String(m.pid), m.version, m.role, m.status, String(m.shards), String(m.actors), String(m.mailboxDepth), m.singletons.join(',') || '-']);
  }
  const unowned = s.unownedShards.length === 0 ? 'unowned shards: none' : `unowned shards: ${ranges(s.unownedShards)}`;
  return `${head}\n${table(rows)}\n${unowned}`;
}
