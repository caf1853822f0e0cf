// Stateless services (search, suggest, categories, homepage documents) answer from a NATS
// queue group. A member that takes a request and never answers (a frozen process: its
// subscription stays on the server) must not cost a read its whole deadline: the read is
// asked again and another member answers, while a slow member's answer still counts. A
// write is never asked twice. Real NATS.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import type { NatsConnection, Subscription } from 'nats';
import { callService, serveService } from '../actors/catalog/rpc.ts';
import { RejectedError, TimeoutError } from '../cluster/index.ts';
import { natsConnection, sleep, testLog } from './support/harness.ts';

let nc: NatsConnection;
test.before(async () => {
  nc = await natsConnection();
});
test.after(async () => {
  await nc.close();
});

/**
 * A subject whose queue group holds, first, a member that takes one request and answers
 * none (then leaves, so which member gets later attempts is not left to chance), and 50 ms
 * later a live member. Counts what each got.
 */
async function frozenThenLive(): Promise<{ subject: string; frozenTook: () => number; liveGot: () => number; stop(): Promise<void> }> {
  const subject = `t_rpc_${randomBytes(3).toString('hex')}.svc.catalog.op`;
  let frozen = 0;
  let live = 0;
  const frozenSub: Subscription = nc.subscribe(subject, { queue: `${subject}.q`, max: 1, callback: () => void frozen++ });
  await nc.flush();
  let stopLive: (() => Promise<void>) | undefined;
  setTimeout(() => {
    stopLive = serveService(nc, subject, testLog, async () => {
      live++;
      return 'ok';
    });
  }, 50);
  return {
    subject, frozenTook: () => frozen, liveGot: () => live,
    async stop() {
      frozenSub.unsubscribe();
      await stopLive?.();
    },
  };
}

test('a read whose first attempt reached a frozen member is answered by a live one, well inside its deadline', async () => {
  const s = await frozenThenLive();
  try {
    const started = Date.now();
    assert.is(await callService<string>(nc, s.subject, { q: 'x' }, 5000, { read: true }), 'ok');
    const ms = Date.now() - started;
    assert.equal([s.frozenTook(), s.liveGot()], [1, 1]);
    assert.ok(ms < 2000, `answered in ${ms} ms, where the frozen member alone would have cost the whole 5 s`);
  } finally {
    await s.stop();
  }
});

test('a slow but live member still answers a read inside its deadline (an attempt is not cut short)', async () => {
  const subject = `t_rpc_${randomBytes(3).toString('hex')}.svc.catalog.slow`;
  let got = 0;
  const stop = serveService(nc, subject, testLog, async () => {
    const mine = ++got;
    await sleep(1800);
    return `slow-${mine}`;
  });
  await nc.flush();
  try {
    const started = Date.now();
    assert.is(await callService<string>(nc, subject, { q: 'big' }, 5000, { read: true }), 'slow-1', 'the first attempt\'s answer, not one asked again');
    assert.ok(Date.now() - started < 4000);
    assert.ok(got <= 2, `asked ${got} times`);
  } finally {
    await stop();
  }
});

test('a read nobody answers ends as a timeout at its deadline; an error answer ends it at once', async () => {
  const silent = `t_rpc_${randomBytes(3).toString('hex')}.svc.catalog.silent`;
  const sub = nc.subscribe(silent, { queue: `${silent}.q`, callback: () => undefined });
  await nc.flush();
  try {
    const started = Date.now();
    const outcome = await callService<string>(nc, silent, {}, 1500, { read: true }).then((v) => v, (err: unknown) => err);
    assert.instance(outcome, TimeoutError);
    const ms = Date.now() - started;
    assert.ok(ms >= 1400 && ms < 3000, `settled at ${ms} ms`);
  } finally {
    sub.unsubscribe();
  }
  const refusing = `t_rpc_${randomBytes(3).toString('hex')}.svc.catalog.refusing`;
  const stop = serveService(nc, refusing, testLog, async () => {
    throw new RejectedError('unknown_sku', 'no such product');
  });
  await nc.flush();
  try {
    const started = Date.now();
    const outcome = await callService<string>(nc, refusing, {}, 5000, { read: true }).then((v) => v, (err: unknown) => err);
    assert.instance(outcome, RejectedError);
    assert.ok(Date.now() - started < 900, 'the answer is final: no waiting for the hedge at 1 s');
  } finally {
    await stop();
  }
});

test('a write is not asked again: the one a frozen member took times out at its deadline, and nobody else got it', async () => {
  const s = await frozenThenLive();
  try {
    const started = Date.now();
    const outcome = await callService<string>(nc, s.subject, { put: 1 }, 1000).then((v) => v, (err: unknown) => err);
    assert.instance(outcome, TimeoutError);
    assert.ok(Date.now() - started >= 950);
    await sleep(100);
    assert.equal([s.frozenTook(), s.liveGot()], [1, 0]);
  } finally {
    await s.stop();
  }
});

test.run();
