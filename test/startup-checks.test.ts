// What a process refuses before it joins the cluster: a port it is to serve that another
// process holds is a configuration error naming the variable (exit 2), not a stack trace
// after it had joined and taken shards, which then had no owner until their leases ran out.
// NATS not answering and an unreadable GEOIP_DB are one line naming the setting too.
import { createServer, type Server } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readStatus } from '../cluster/index.ts';
import { freshEnv, natsConnection, natsUrl, startProcess, type TestEnv } from './support/harness.ts';

let env: TestEnv;
let busy: Server;
let busyPort: number;

test.before(async () => {
  env = await freshEnv('startup');
  busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', () => resolve()));
  busyPort = (busy.address() as { port: number }).port;
});
test.after(async () => {
  busy.close();
  await env.cleanup();
});

for (const [variable, extra] of [['PORT', { ROLE: 'all', PORT: 'busy' }], ['OPS_PORT', { ROLE: 'node', OPS_PORT: 'busy' }]] as const) {
  test(`${variable} held by another process: exit 2 naming it, and the process never joined`, async () => {
    const vars: Record<string, string> = { ...extra };
    vars[variable] = String(busyPort);
    const proc = startProcess('app/main.ts', { ...env.env, ...vars, NODE_ID: `busy-${variable.toLowerCase()}` });
    const code = await Promise.race([proc.exited, new Promise((r) => setTimeout(() => r('still running'), 60_000).unref())]);
    assert.is(code, 2, proc.output());
    assert.match(proc.output(), new RegExp(`configuration error: ${variable}: cannot listen on 127\\.0\\.0\\.1:${busyPort} \\(another process listens there\\)`));
    assert.not.match(proc.output(), /at Server\.|EADDRINUSE/, 'no stack trace');
    const nc = await natsConnection();
    try {
      const view = await readStatus(nc, env.cluster, 16, 1000);
      assert.equal(view.members.map((m) => m.nodeId), [], 'it never joined');
    } finally {
      await nc.close();
    }
  });
}

for (const [what, vars, code, line] of [
  ['NATS not answering at NATS_URL', { ROLE: 'node', NATS_URL: 'nats://127.0.0.1:1' }, 1, /^cannot start: NATS does not answer at nats:\/\/127\.0\.0\.1:1 \(NATS_URL\): CONNECTION_REFUSED$/m],
  // It had been read as "1 or anything else": DEMO_DATA=true started a node with no demo data, silently.
  ['a DEMO_DATA that is neither 0 nor 1', { ROLE: 'node', DEMO_DATA: 'true' }, 2, /^configuration error: DEMO_DATA: "true" is not valid; expected 0 or 1$/m],
  ['a NATS_URL list with an empty entry', { ROLE: 'node', NATS_URL: 'nats://127.0.0.1:4222,,nats://127.0.0.1:4223' }, 2, /^configuration error: NATS_URL: "nats:\/\/127\.0\.0\.1:4222,,nats:\/\/127\.0\.0\.1:4223" has an empty entry; list URLs separated by commas$/m],
  ['a NATS_URL list with one entry not a NATS URL', { ROLE: 'node', NATS_URL: 'nats://127.0.0.1:4222, http://127.0.0.1:4223' }, 2, /^configuration error: NATS_URL: scheme "http:" is not one of nats, tls$/m],
  ['a GEOIP_DB that cannot be read', { ROLE: 'gateway', GEOIP_DB: '/nonexistent/country.mmdb' }, 2, /^configuration error: GEOIP_DB: "\/nonexistent\/country\.mmdb" cannot be read \(ENOENT\)$/m],
] as const) {
  test(`${what}: one line naming the setting, exit ${code}, no stack trace`, async () => {
    const proc = startProcess('app/main.ts', { ...env.env, ...vars, NODE_ID: 'refused' });
    const exit = await Promise.race([proc.exited, new Promise((r) => setTimeout(() => r('still running'), 60_000).unref())]);
    assert.is(exit, code, proc.output());
    assert.match(proc.output(), line);
    assert.not.match(proc.output(), /\n\s+at /, 'no stack trace');
  });
}

// `npm run migrate` (app/migrate.ts) against a MariaDB that cannot be used: one line naming
// MYSQL_URL and the server's reason, a non-zero exit, no stack trace (it printed Node's).
for (const [what, url, code, line] of [
  ['a MariaDB that does not answer', 'mysql://root@127.0.0.1:1/shop_nowhere', 1, /^migrate: MariaDB at 127\.0\.0\.1:1, database shop_nowhere \(MYSQL_URL\): connect ECONNREFUSED 127\.0\.0\.1:1$/m],
  ['a login MariaDB refuses', 'mysql://nobody_here:wrong@127.0.0.1:3306/shop_nowhere', 1, /^migrate: MariaDB at 127\.0\.0\.1:3306, database shop_nowhere \(MYSQL_URL\): Access denied for user 'nobody_here'/m],
  ['a MYSQL_URL naming no database', 'mysql://root@127.0.0.1:3306/', 2, /^configuration error: MYSQL_URL must name a database/m],
  ['a MYSQL_URL that is not a URL', 'not a url', 2, /^configuration error: MYSQL_URL: "not a url" is not a URL/m],
] as const) {
  test(`npm run migrate with ${what}: one line, exit ${code}, no stack trace`, async () => {
    const proc = startProcess('app/migrate.ts', { ...env.env, MYSQL_URL: url });
    const exit = await Promise.race([proc.exited, new Promise((r) => setTimeout(() => r('still running'), 60_000).unref())]);
    assert.is(exit, code, proc.output());
    assert.match(proc.output(), line);
    assert.not.match(proc.output(), /\n\s+at /, 'no stack trace');
  });
}

test('NATS_URL may list a NATS cluster\'s servers: a node joins through one that answers when another does not', async () => {
  // A NATS cluster's clients are given every server, so that losing one is a reconnect to
  // another; a single URL was all the setting took.
  const proc = startProcess('app/main.ts', { ...env.env, ROLE: 'node', NODE_ID: 'listed', NATS_URL: `nats://127.0.0.1:1, ${env.env.NATS_URL ?? natsUrl}` });
  try {
    await proc.waitFor(/actor node listed joined/, 120_000);
    const nc = await natsConnection();
    try {
      const view = await readStatus(nc, env.cluster, 16, 1000);
      assert.ok(view.members.some((m) => m.nodeId === 'listed'), JSON.stringify(view.members));
    } finally {
      await nc.close();
    }
  } finally {
    await proc.kill('SIGKILL');
  }
});

test('a NODE_ID a live node holds is refused (exit 3) once its record outlived two lease TTLs; the live node keeps its shards', async () => {
  const first = startProcess('app/main.ts', { ...env.env, ROLE: 'node', NODE_ID: 'twin' });
  try {
    await first.waitFor(/actor node twin joined/, 120_000);
    const second = startProcess('app/main.ts', { ...env.env, ROLE: 'node', NODE_ID: 'twin' });
    const code = await Promise.race([second.exited, new Promise((r) => setTimeout(() => r('still running'), 60_000).unref())]);
    assert.is(code, 3, second.output());
    assert.match(second.output(), /NODE_ID=twin is a live member already \(pid \d+/);
    const nc = await natsConnection();
    try {
      const view = await readStatus(nc, env.cluster, 16, 1000);
      assert.equal(view.members.map((m) => [m.nodeId, m.pid]), [['twin', first.child.pid]], 'the first keeps its place');
    } finally {
      await nc.close();
    }
  } finally {
    await first.kill('SIGKILL');
  }
});

test.run();
