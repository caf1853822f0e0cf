// A gateway stopped for a while (SIGSTOP here; a long GC pause or a frozen VM alike) with
// clients waiting on its kept-alive connections: when it resumes it answers them. With
// Node's 5 s keep-alive timers it reset every one (ECONNRESET): the timers, due during the
// stop, ran before the requests that had arrived were read.
// And a gateway stopped with SIGTERM while clients keep its kept-alive connections busy
// exits promptly with code 0: it had waited for them until its 30 s bound, then exited 1.
// With HTTP_STOP_GRACE_MS it first keeps serving while its /readyz says it is stopping.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Agent, request } from 'node:http';
import { eventually, sleep, startApp } from './support/harness.ts';
import { startStack, type Stack } from './support/gateway.ts';

let s: Stack;
test.before(async () => {
  s = await startStack('gwpause');
});
test.after(async () => {
  await s?.stop();
});

/** The status of a GET on one of `agent`'s connections, or the error's code. */
function get(agent: Agent, path: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(s.url + path, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? String(err)));
    req.end();
  });
}

test('requests waiting on kept-alive connections of a gateway stopped for 7 s are answered when it resumes', async () => {
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  try {
    const four = () => Promise.all([0, 1, 2, 3].map(() => get(agent, '/v1/categories')));
    assert.equal(await four(), [200, 200, 200, 200]);
    const pid = s.gateway.child.pid!;
    process.kill(pid, 'SIGSTOP');
    try {
      await sleep(300);
      const waiting = four();
      await sleep(7000);
      process.kill(pid, 'SIGCONT');
      assert.equal(await waiting, [200, 200, 200, 200]);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  } finally {
    agent.destroy();
  }
});

test('SIGTERM with clients busy on kept-alive connections: answers in progress finish, the connections close, the gateway exits 0 at once', async () => {
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const outcomes = new Map<number | string, number>();
  let stop = false;
  const client = async () => {
    while (!stop) {
      const r = await get(agent, '/v1/inventory/SKU-00002');
      outcomes.set(r, (outcomes.get(r) ?? 0) + 1);
      if (r !== 200) return;
    }
  };
  try {
    const clients = [0, 1, 2, 3].map(() => client());
    await eventually(() => (outcomes.get(200) ?? 0) >= 8, 10_000, 20);
    const sent = Date.now();
    const code = await s.gateway.kill('SIGTERM');
    const tookMs = Date.now() - sent;
    stop = true;
    await Promise.all(clients);
    assert.is(code, 0, `exit code (${s.gateway.output().slice(-300)})`);
    assert.ok(tookMs < 5000, `exited ${tookMs} ms after SIGTERM`);
    assert.ok((outcomes.get(200) ?? 0) > 0);
    // Refused once the server stopped listening: new connections only, nothing cut mid-answer.
    assert.equal([...outcomes.keys()].filter((k) => k !== 200 && k !== 'ECONNREFUSED'), [], JSON.stringify([...outcomes]));
  } finally {
    stop = true;
    agent.destroy();
  }
});

test('HTTP_STOP_GRACE_MS: after SIGTERM the gateway answers as before while its /readyz says it is stopping, then closes and exits 0', async () => {
  const gw = await startApp(s.env.env, 'gateway', { PORT: '0', HTTP_STOP_GRACE_MS: '4000' });
  try {
    const sent = Date.now();
    gw.child.kill('SIGTERM');
    const ready = await eventually(async () => {
      const r = await fetch(`${gw.url}/readyz`);
      return r.status === 503 ? r : undefined;
    }, 3000, 20);
    assert.match(JSON.stringify(await ready.json()), /stopping/, 'a load balancer stops sending new connections');
    assert.is((await fetch(`${gw.url}/v1/categories`)).status, 200, 'requests are still answered meanwhile');
    const code = await gw.exited;
    assert.is(code, 0);
    assert.ok(Date.now() - sent >= 4000, `closed after the grace (${Date.now() - sent} ms)`);
  } finally {
    await gw.kill('SIGKILL');
  }
});

test.run();
