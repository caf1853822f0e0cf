// Reads asked for in one turn go as one query; each caller gets its own answer. Against the
// real MariaDB through the user repository: the buyer loads of checkout, batched, still
// match ids as the column does (case-insensitively).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BatchedReads } from '../stores/mysql/batched-reads.ts';
import { UserRepository } from '../stores/mysql/users.ts';
import { freshDatabase } from './support/harness.ts';

const db = freshDatabase(test, 'batchedreads', 2);

test('one load per turn for every key asked, a repeated key asked once; a failed load fails its callers only', async () => {
  const calls: string[][] = [];
  const reads = new BatchedReads<number>(async (keys) => {
    calls.push(keys);
    if (keys.includes('boom')) throw new Error('store down');
    return new Map(keys.filter((k) => k !== 'none').map((k) => [k, k.length]));
  });
  const answers = await Promise.all([reads.get('a'), reads.get('bb'), reads.get('a'), reads.get('none')]);
  assert.equal(answers, [1, 2, 1, undefined]);
  assert.equal(calls, [['a', 'bb', 'none']]);
  const failed = await reads.get('boom').then(() => 'answered', (err: Error) => err.message);
  assert.is(failed, 'store down');
  assert.is(await reads.get('ccc'), 3, 'the next turn loads again');
});

test('the user repository: buyers loaded together, each with its own addresses and coupons, ids matched as the column does', async () => {
  const users = new UserRepository(db.pool);
  const ids = ['ub-one', 'ub-two'];
  for (const [i, userId] of ids.entries()) {
    await users.create({
      userId, email: `${userId}@example.com`, name: `User ${i}`, passwordHash: Buffer.alloc(8), passwordSalt: Buffer.alloc(8), passwordParams: 'x', rewardPoints: 10 * (i + 1),
      coupon: { couponId: `c-${userId}`, code: `WELCOME${i}`, description: 'welcome', discountPercent: 10, expiresAt: null },
    });
    await users.addAddress(userId, { addressId: `a-${userId}`, line1: `${i} Main St`, city: 'Springfield', region: 'IL', country: 'US', postalCode: '62701', cluster: 'central' }, true);
  }
  const [one, two, none, upper] = await Promise.all([users.load('ub-one'), users.load('ub-two'), users.load('ub-none'), users.load('UB-TWO')]);
  assert.equal([one?.rewardPoints, one?.addresses.map((a) => a.addressId), one?.coupons.map((c) => c.code)], [10, ['a-ub-one'], ['WELCOME0']]);
  assert.equal([two?.rewardPoints, two?.addresses.map((a) => a.addressId), two?.coupons.map((c) => c.code)], [20, ['a-ub-two'], ['WELCOME1']]);
  assert.is(none, undefined);
  assert.is(upper?.userId, 'ub-two', 'found as WHERE user_id = ? found it');
});

test.run();
