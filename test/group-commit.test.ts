// The group-commit pipeline alone, with writes the test controls: order of answers,
// batching, and what a failure does to earlier and later batches.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GroupCommit, type Owed } from '../actors/common/group-commit.ts';

interface Gate { resolve(): void; reject(err: Error): void; writes: number[] }

function pipeline(depth: number) {
  const log: string[] = [];
  const gates: Gate[] = [];
  let counter = 0;
  let dirty: number[] = [];
  let failure: { err: unknown; owed: number } | undefined;
  const gc = new GroupCommit<number[]>({
    depth,
    takeWrites: () => {
      if (dirty.length === 0) return undefined;
      const w = dirty;
      dirty = [];
      return w;
    },
    write: (writes) => new Promise<void>((resolve, reject) => gates.push({ resolve, reject, writes })),
    onFailure: (err, owed) => {
      failure = { err, owed: owed.length };
      for (const o of owed) o.fail(err as Error);
    },
  });
  const ask = (write: boolean): Promise<string> => new Promise((resolve) => {
    const n = ++counter;
    if (write) dirty.push(n);
    const owed: Owed = { settle: () => { log.push(`ok${n}`); resolve(`ok${n}`); }, fail: () => { log.push(`fail${n}`); resolve(`fail${n}`); } };
    gc.add(owed);
  });
  return { gc, ask, gates, log, failure: () => failure };
}

const tick = () => new Promise((r) => setImmediate(r));

test('what is added in one turn is one write; answers wait for it', async () => {
  const p = pipeline(1);
  const answers = [p.ask(true), p.ask(true), p.ask(false)];
  await tick();
  assert.is(p.gates.length, 1);
  assert.equal(p.gates[0]!.writes, [1, 2]);
  assert.equal(p.log, [], 'nothing answered before the commit');
  p.gates[0]!.resolve();
  assert.equal(await Promise.all(answers), ['ok1', 'ok2', 'ok3']);
});

test('with depth 2, a second batch is written while the first is in flight, and answered after it', async () => {
  const p = pipeline(2);
  const a = p.ask(true);
  await tick();
  const b = p.ask(true);
  await tick();
  assert.is(p.gates.length, 2, 'two writes in flight');
  p.gates[1]!.resolve();
  await tick();
  assert.equal(p.log, [], 'the later batch waits for the earlier one');
  p.gates[0]!.resolve();
  assert.equal(await Promise.all([a, b]), ['ok1', 'ok2']);
  assert.equal(p.log, ['ok1', 'ok2']);
});

test('a failed later batch does not fail an earlier one that commits', async () => {
  const p = pipeline(2);
  const a = p.ask(true);
  await tick();
  const b = p.ask(true);
  await tick();
  p.gates[1]!.reject(new Error('boom'));
  await tick();
  assert.equal(p.log, [], 'judged only once the earlier write is done');
  p.gates[0]!.resolve();
  assert.equal(await Promise.all([a, b]), ['ok1', 'fail2']);
  assert.is(p.failure()?.owed, 1);
  assert.ok(p.gc.dead);
});

test('a failed earlier batch fails every batch after it', async () => {
  const p = pipeline(2);
  const a = p.ask(true);
  await tick();
  const b = p.ask(true);
  await tick();
  const c = p.ask(false);
  p.gates[0]!.reject(new Error('fenced'));
  assert.equal(await Promise.all([a, b, c]), ['fail1', 'fail2', 'fail3']);
  // The later write, conditional on the failed one, fails too; then the pipeline is idle.
  p.gates[1]!.reject(new Error('fenced'));
  await p.gc.idle();
});

test('idle() waits for writes in flight', async () => {
  const p = pipeline(1);
  void p.ask(true);
  await tick();
  let idle = false;
  const waiting = p.gc.idle().then(() => (idle = true));
  await tick();
  assert.not.ok(idle);
  p.gates[0]!.resolve();
  await waiting;
  assert.ok(idle);
});

test.run();
