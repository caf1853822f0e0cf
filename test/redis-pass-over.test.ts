// When the read-through cache stops asking a Redis that did not answer, and how it comes
// back: one probe at a time after the pause, and the first answer ends it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Redis } from 'ioredis';
import {
  isRedisConnectionLoss, isRedisTimeout, noteRedisAnswer, noteRedisFailure, redisPassedOver, redisPassOverMs,
} from '../stores/redis/index.ts';
import { startRedis } from './support/private-servers.ts';

const timedOut = new Error('Command timed out');

test('a command timeout passes the client over; after the pause one probe goes through at a time', () => {
  const redis = {};
  assert.not.ok(redisPassedOver(redis), 'in good standing at first');
  noteRedisFailure(redis, timedOut);
  const failedAt = performance.now();
  assert.ok(redisPassedOver(redis, failedAt + 10), 'passed over during the pause');
  const after = failedAt + redisPassOverMs + 10;
  assert.not.ok(redisPassedOver(redis, after), 'the first caller after the pause is the probe');
  assert.ok(redisPassedOver(redis, after + 1), 'the others still pass it over while the probe runs');
  noteRedisAnswer(redis);
  assert.not.ok(redisPassedOver(redis, after + 2), 'an answer ends it');
});

test('a probe that fails again starts another pause; one that never reports stops counting', () => {
  const redis = {};
  noteRedisFailure(redis, new Error('Connection is closed.'));
  const probeAt = performance.now() + redisPassOverMs + 10;
  assert.not.ok(redisPassedOver(redis, probeAt));
  noteRedisFailure(redis, timedOut);
  assert.ok(redisPassedOver(redis, performance.now() + 10), 'paused again');
  const next = performance.now() + redisPassOverMs + 10;
  assert.not.ok(redisPassedOver(redis, next), 'the next probe');
  assert.ok(redisPassedOver(redis, next + 5_000), 'its report still awaited');
  assert.not.ok(redisPassedOver(redis, next + 10_001), 'a probe that never reported lapses');
});

test('a refusal is an answer: it neither starts a pause nor prolongs one', () => {
  const redis = {};
  noteRedisFailure(redis, new Error('WRONGTYPE Operation against a key holding the wrong kind of value'));
  assert.not.ok(redisPassedOver(redis));
  noteRedisFailure(redis, timedOut);
  noteRedisFailure(redis, new SyntaxError('Unexpected token'));
  assert.not.ok(redisPassedOver(redis), 'Redis answered');
});

/** The error a command ends with (it must end with one). */
async function failureOf(command: Promise<unknown>): Promise<unknown> {
  try {
    await command;
  } catch (err) {
    return err;
  }
  throw new Error('the command succeeded');
}

// The tests above build ioredis's messages by hand; this one makes ioredis fail for real, with
// the app's own client options, so a change in ioredis's wording fails here and not in production.
test('ioredis\'s real failures are classified: a hung Redis times out, a gone one is a lost connection, a refusal neither', async () => {
  const server = await startRedis(16393);
  // As app/context.ts makes it, with a short command timeout.
  const redis = new Redis(server.url, { maxRetriesPerRequest: 2, enableAutoPipelining: true, commandTimeout: 200 });
  redis.on('error', () => undefined);
  try {
    await redis.set('k', 'v');
    const refused = await failureOf(redis.lpush('k', 'x'));
    assert.ok(!isRedisTimeout(refused) && !isRedisConnectionLoss(refused), `a WRONGTYPE refusal: ${String(refused)}`);
    noteRedisFailure(redis, refused);
    assert.not.ok(redisPassedOver(redis), 'Redis answered');

    server.pause();
    const hung = await failureOf(redis.get('k'));
    assert.ok(isRedisTimeout(hung), `a hung Redis: ${String(hung)}`);
    assert.not.ok(isRedisConnectionLoss(hung));
    noteRedisFailure(redis, hung);
    assert.ok(redisPassedOver(redis), 'passed over after a real timeout');
    server.resume();

    // The app's own command timeout (2 s) for these: ioredis gives up reconnecting after
    // about 150 ms, which a 200 ms timer could beat on a loaded machine.
    const patient = redis.duplicate({ commandTimeout: 2000 });
    patient.on('error', () => undefined);
    await patient.get('k');
    const quit = patient.duplicate();
    await quit.quit();
    const closed = await failureOf(quit.get('k'));
    assert.ok(isRedisConnectionLoss(closed), `a client that was closed: ${String(closed)}`);

    await server.kill();
    const gone = await failureOf(patient.get('k'));
    patient.disconnect();
    assert.ok(isRedisConnectionLoss(gone), `a Redis that is gone: ${String(gone)}`);
  } finally {
    redis.disconnect();
    await server.destroy();
  }
});

test.run();
