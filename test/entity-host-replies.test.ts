// Two deliveries in flight at once, to two entities, must each get their own entity's answer.
// nact filed each query's reply address under an id drawn at random from 2^32 and never
// checked it was free. In a flash sale, two deliveries once drew the same id, and one
// buyer's checkout was answered with another buyer's order. Math.random is pinned here so
// that the draw repeats every time, as it did about once in a million orders.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import pino from 'pino';
import { EntityHost } from '../cluster/host.ts';
import type { EntityDefinition } from '../cluster/index.ts';
import type { WireOutcome } from '../cluster/wire.ts';
import { orAfter } from './support/harness.ts';

/** Answers `<id>:<msg>`; the entity `later` only once `letLaterAnswer` is called. */
function echo(waitFor: Promise<void>): EntityDefinition<null, string, string> {
  return {
    type: 'echo',
    decode: (raw) => String(raw),
    activate: () => null,
    async receive(state, msg, reply, ctx) {
      if (ctx.id === 'later') await waitFor;
      reply.ok(`${ctx.id}:${msg}`);
      return state;
    },
  };
}

const settleWithin = <T>(p: Promise<T>, ms: number) =>
  orAfter(p.then((v) => ({ v }), (err: unknown) => ({ err: String(err) })), ms, { late: true as const });

/** Two deliveries made while nact's random draw repeats, the first entity answering first. */
function collidingDeliveries(host: EntityHost): { first: Promise<WireOutcome[]>; later: Promise<WireOutcome[]>; letLaterAnswer: () => void } {
  let letLaterAnswer!: () => void;
  host.register(echo(new Promise<void>((resolve) => (letLaterAnswer = resolve))));
  const random = Math.random;
  Math.random = () => 0.5;
  try {
    // Filed in this order: the second filing of one id used to replace the first.
    const first = host.deliver('echo', 'first', 0, ['a'], Date.now() + 1500);
    const later = host.deliver('echo', 'later', 0, ['b'], Date.now() + 1500);
    return { first, later, letLaterAnswer };
  } finally {
    Math.random = random;
  }
}

test('two deliveries whose reply addresses draw the same random number each get their own answer', async () => {
  const host = new EntityHost({ log: pino({ level: 'silent' }), mailboxLimit: 100, idleTimeoutMs: 60_000 });
  const { first, later, letLaterAnswer } = collidingDeliveries(host);
  try {
    // `first` answers while `later` still works: its answer must not reach `later`'s caller.
    assert.equal(await settleWithin(first, 1000), { v: [{ v: 'first:a' }] }, "the first entity's caller gets the first entity's answer");
    letLaterAnswer();
    assert.equal(await settleWithin(later, 1000), { v: [{ v: 'later:b' }] }, "the second caller gets the second entity's answer, not the first's");
  } finally {
    letLaterAnswer();
    await host.close();
  }
});

test("without the numbering, nact's crossed answer is refused, never handed to the wrong caller", async () => {
  // nact as it is: the two reply addresses collide, and the first entity's answer reaches
  // the second delivery. The host must see that it names another batch.
  const host = new EntityHost({ log: pino({ level: 'silent' }), mailboxLimit: 100, idleTimeoutMs: 60_000, plugins: [] });
  const { first, later, letLaterAnswer } = collidingDeliveries(host);
  try {
    const crossed = await settleWithin(later, 1000);
    assert.ok('err' in crossed, `the second caller must not be answered with the first entity's reply: ${JSON.stringify(crossed)}`);
    assert.match((crossed as { err: string }).err, /TimeoutError.*another delivery/);
    assert.is(host.stats().crossedReplies, 1);
    // The first caller's own answer went astray: it hears nothing, as with any lost reply.
    assert.equal(await settleWithin(first, 200), { late: true });
  } finally {
    letLaterAnswer();
    await host.close();
  }
});

test.run();
