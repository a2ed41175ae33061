/** The e2e harness speeds up the pod scripts' waits from their defaults: those defaults must be the scripts' own. */
import * as fs from 'fs';
import * as path from 'path';
import { SCRIPT_WAITS } from './cluster';

const scripts = path.join(__dirname, '../../../src/mysql/scripts');
const defaults = new Map<string, number>();
for (const file of fs.readdirSync(scripts)) {
  for (const m of fs.readFileSync(path.join(scripts, file), 'utf8').matchAll(/^: "\$\{([A-Z_]+):=([0-9.]+)\}"/gm)) defaults.set(m[1], Number(m[2]));
}

test.each(Object.entries(SCRIPT_WAITS))('%s is the scripts\' default, %ss', (name, seconds) => {
  expect(defaults.get(name)).toBe(seconds);
});

test('no network timeout or work budget is sped up', () => {
  for (const name of ['PEER_TIMEOUT', 'MYSQLD_START_TIMEOUT', 'CATCH_UP_TIMEOUT', 'DONOR_WAIT_TIMEOUT', 'DEMOTE_WAIT', 'AGENT_STALE_SECONDS']) {
    expect(defaults.has(name)).toBe(true);
    expect(Object.keys(SCRIPT_WAITS)).not.toContain(name);
  }
});
