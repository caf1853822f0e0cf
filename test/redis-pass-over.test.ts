// When the read-through cache stops asking a Redis that did not answer, and how it comes
// back: one probe at a time after the pause, and the first answer ends it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { noteRedisAnswer, noteRedisFailure, redisPassedOver, redisPassOverMs } from '../stores/redis/index.ts';

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

test.run();
