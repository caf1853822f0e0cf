// A process that creates one user (UserRepository.create, a signup's write) and says when it
// sends it: stopped with SIGSTOP in the middle, it stands for a gateway frozen inside it.
import { createPool } from '../../stores/mysql/index.ts';
import { UserRepository } from '../../stores/mysql/users.ts';

// A long statement timeout: the test decides when the write may go on, not the pool's 10 s.
const pool = createPool(process.env.MYSQL_URL!, { connectionLimit: 1, queryTimeoutMs: 120_000 });
process.stdout.write('creating the user\n');
await new UserRepository(pool).create({
  userId: process.env.USER_ID!, email: process.env.EMAIL!, name: 'Stopped', passwordHash: Buffer.from([1]), passwordSalt: Buffer.from([2]), passwordParams: 'p',
  rewardPoints: 0, coupon: { couponId: process.env.COUPON_ID!, code: 'WELCOME10', description: 'welcome', discountPercent: 10, expiresAt: null },
});
process.stdout.write('user created\n');
await pool.end();
