import { createMysqlConditional } from './strategies/mysql-conditional.ts';
import { createMysqlForUpdate } from './strategies/mysql-for-update.ts';
import { runSale } from './run-sale.ts';
const mysqlUrl = 'mysql://root@127.0.0.1:3306/shop';
const sizes = (process.env['SIZES'] ?? '8,16,32,64,128').split(',').map(Number);
const reps = Number(process.env['REPS'] ?? 2);
const res: Record<string, number[]> = {};
for (let r = 0; r < reps; r++) for (const size of sizes) for (const [n, f] of [['for-update', createMysqlForUpdate], ['conditional', createMysqlConditional]] as const) {
  const s = await f({ mysqlUrl, poolSize: size });
  await s.setup(25000);
  const run = await runSale(s, 50000, 256);
  await s.close();
  const k = `${n} pool=${size}`;
  (res[k] ??= []).push(Math.round(run.succeeded / run.seconds));
  console.log(k, Math.round(run.succeeded / run.seconds), run.errors);
}
console.log(res);
