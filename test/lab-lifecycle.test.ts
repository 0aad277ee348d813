/**
 * `surveyor lab up/status/down` as a person runs them, twice in a row on their own addresses (127.21.0.x): every
 * server ready, and after `down` no process, address, namespace, user, group or directory of the lab is left.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { labRoot } from '../fixtures/lab/lab.js';
import { SERVERS } from '../fixtures/lab/servers/index.js';
import { SERVER_NAMES } from '../fixtures/lab/types.js';
import { runCli } from './helpers/cli.js';

const TAG = '21';
const can = process.getuid?.() === 0;

function leftovers(): string[] {
  const found: string[] = [];
  const root = labRoot(Number(TAG));
  if (existsSync(root)) found.push(`directory ${root}`);
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(`${root}/`)) found.push(`process ${pid}`);
    } catch {
      // exited meanwhile
    }
  }
  const addresses = spawnSync('ip', ['-o', 'addr', 'show', 'dev', 'lo'], { encoding: 'utf8' }).stdout;
  if (addresses.includes(`127.${TAG}.0.`)) found.push('a 127.21.0.x address on lo');
  const namespaces = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
  if (namespaces.includes(`sv${TAG}`)) found.push(`namespace ${namespaces.trim()}`);
  const users = spawnSync('getent', ['passwd'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.startsWith(`sv${TAG}`));
  const groups = spawnSync('getent', ['group'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.startsWith(`sv${TAG}`));
  found.push(...users.map((u) => `user ${u.split(':')[0]}`), ...groups.map((g) => `group ${g.split(':')[0]}`));
  if (existsSync('/etc/sudoers.d') && readdirSync('/etc/sudoers.d').some((f) => f.startsWith(`sv${TAG}`))) found.push('a sudoers file');
  return found;
}

const cycle = async (t: import('ava').ExecutionContext, round: number) => {
  const up = await runCli(['lab', 'up', '--tag', TAG]);
  t.is(up.code, 0, `round ${round}: ${up.stderr}`);
  const seconds = Number(/(\d+) servers up in ([\d.]+) s/.exec(up.stderr)?.[2]);
  t.log(`round ${round}: ${SERVER_NAMES.length} servers up in ${seconds} s`);
  const status = await runCli(['lab', 'status', '--tag', TAG, '--format', 'json']);
  t.is(status.code, 0, status.stderr);
  const servers = (JSON.parse(status.stdout) as { servers: Array<{ name: string; ready: boolean }> }).servers;
  t.deepEqual(servers.map((s) => [s.name, s.ready]), SERVERS.map((s) => [s.name, true]));
  const down = await runCli(['lab', 'down', '--tag', TAG]);
  t.is(down.code, 0, down.stderr);
  t.deepEqual(leftovers(), [], `round ${round}: lab down left something behind`);
};

if (can) {
  test.serial('lab up, status and down, twice in a row, leave nothing behind', async (t) => {
    t.timeout(180_000);
    await runCli(['lab', 'down', '--tag', TAG]); // a crashed earlier run
    t.deepEqual(leftovers(), []);
    await cycle(t, 1);
    await cycle(t, 2);
  });
} else if (process.env.CI === 'true') {
  test('lab up, status and down, twice in a row, leave nothing behind', (t) => t.fail('CI must run this test, but it needs root'));
} else {
  test.skip('lab up, status and down, twice in a row (skipped: the lab needs root)', () => {});
}

test('lab commands refuse bad input with exit 2', async (t) => {
  const r = await runCli(['lab', 'up', '--only', 'ssh,telnet', '--tag', TAG]);
  t.is(r.code, 2);
  t.regex(r.stderr, /bad --only "ssh,telnet": "telnet" is not a lab server/);
  const tag = await runCli(['lab', 'status', '--tag', '300']);
  t.is(tag.code, 2);
  t.regex(tag.stderr, /bad --tag "300"/);
});

test('.ci/run installs every Debian package a lab server needs', (t) => {
  const ci = readFileSync(new URL('../../.ci/run', import.meta.url), 'utf8');
  for (const server of SERVERS) {
    for (const pkg of server.packages) t.true(new RegExp(`\\b${pkg.replace(/[+]/g, '\\+')}\\b`).test(ci), `${server.name} needs ${pkg}`);
  }
});
