// The node flags of app processes are written out in three places a person may start them
// from: app/node-flags.json (read by the harness and `npm start`), package.json's
// start:node and start:gateway, and the Dockerfile. A flag dropped from one of them costs
// that way of running the shop its share of the CPU (docs/performance.md) or its readable
// stack traces without a word; and each must run the compiled app (app/build.ts), not the
// TypeScript through tsx, which costs the node about a tenth more CPU per order in a sale.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './support/harness.ts';
import appNodeFlags from '../app/node-flags.json' with { type: 'json' };

/** The arguments between `node` and the compiled app in a command line. */
function flagsOf(command: string[]): string[] {
  const node = command.indexOf('node');
  const app = command.indexOf('dist/app.mjs');
  assert.ok(node >= 0 && app > node, `"${command.join(' ')}" starts node with dist/app.mjs`);
  return command.slice(node + 1, app);
}

test('the flags are options this Node accepts', () => {
  assert.ok(appNodeFlags.flags.length > 0);
  for (const flag of appNodeFlags.flags) assert.ok(process.allowedNodeEnvironmentFlags.has(flag.split('=')[0]!), `${flag} is a node option`);
});

test("package.json's start:node and start:gateway start the app with them", () => {
  const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  for (const name of ['start:node', 'start:gateway']) {
    assert.equal(flagsOf(scripts[name]!.split(/\s+/)), appNodeFlags.flags, name);
    // Built first, so a changed checkout does not run an older build.
    assert.ok(scripts[name]!.startsWith('npm run -s build && '), `${name} builds the app before it starts it`);
  }
});

test("the Dockerfile's command starts the app with them", () => {
  const cmd = /^CMD (\[.*\])$/m.exec(readFileSync(join(root, 'deploy', 'Dockerfile'), 'utf8'));
  assert.ok(cmd, 'the Dockerfile has a CMD in exec form');
  assert.equal(flagsOf(JSON.parse(cmd[1]!) as string[]), appNodeFlags.flags);
  assert.match(readFileSync(join(root, 'deploy', 'Dockerfile'), 'utf8'), /^RUN node --import tsx app\/build\.ts/m, 'the image builds the app');
});

test.run();
