// `node --import tsx app/migrate.ts`: creates the database named by MYSQL_URL and applies
// the pending migrations. Run by the bootstrap before start and benches.
import { loadConfig } from './config.ts';
import { migrate } from '../stores/mysql/index.ts';

const config = loadConfig();
const applied = await migrate(config.mysqlUrl);
if (applied.length > 0) process.stderr.write(`[migrate] applied ${applied.join(', ')}\n`);
