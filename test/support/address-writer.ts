// A process that adds one address (UserRepository.addAddress) and says when it sends it:
// stopped with SIGSTOP in the middle, it stands for a gateway frozen inside that write.
import { createPool } from '../../stores/mysql/index.ts';
import { UserRepository } from '../../stores/mysql/users.ts';

// A long statement timeout: the test decides when the write may go on, not the pool's 10 s.
const pool = createPool(process.env.MYSQL_URL!, { connectionLimit: 1, queryTimeoutMs: 120_000 });
const userId = process.env.USER_ID!;
process.stdout.write('adding the address\n');
const made = await new UserRepository(pool).addAddress(userId, {
  addressId: process.env.ADDRESS_ID!, line1: '1 Main St', city: 'Boston', region: 'MA', country: 'US', postalCode: '02110', cluster: 'us-east',
}, true);
process.stdout.write(`address added (default: ${String(made)})\n`);
await pool.end();
