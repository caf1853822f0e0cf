// A process that changes one delivery cluster's zones (LogisticsRepository.putClusterWithZones,
// an admin's PUT) and says when it sends it: stopped with SIGSTOP in the middle, it stands
// for a gateway frozen inside that change.
import { createPool } from '../../stores/mysql/index.ts';
import { LogisticsRepository } from '../../stores/mysql/logistics.ts';

// A long statement timeout: the test decides when the write may go on, not the pool's 10 s.
const pool = createPool(process.env.MYSQL_URL!, { connectionLimit: 1, queryTimeoutMs: 120_000 });
process.stdout.write('changing the zones\n');
const taken = await new LogisticsRepository(pool).putClusterWithZones({ clusterId: process.env.CLUSTER_ID!, name: 'Stopped', country: 'US' }, [process.env.PREFIX!]);
process.stdout.write(`zones changed (taken: ${taken.length})\n`);
await pool.end();
