/**
 * Credentialed SSH enumeration against the lab's OpenSSH, compared with what the host's own tools say: getent for
 * users and groups, sudo -l for sudo rights, dpkg-query for packages, ssh-keygen for authorized keys. Also the
 * safety rules: one attempt for a wrong password, no credential outside its scope or to a changed host key, and no
 * secret in any output or in the database file.
 */
import test, { ExecutionContext } from 'ava';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerInfo } from '../fixtures/lab/types.js';
import { readBanner, waitFor } from '../fixtures/lab/exec.js';
import { jsonLines, recordingCli, RunResult, tempDir } from './helpers/cli.js';
import { labTest, truthOf } from './helpers/lab.js';
import { getent, OTHER_LAB, privilegedTruth } from './helpers/host-truth.js';

type Account = { kind: string; name: string; uid: string; privileged: boolean; reasons: string[]; enabled: boolean | null; lastLogon: string | null; details: Record<string, unknown>; current: boolean };
type Truth = {
  authorizedKeys: Record<string, Array<{ bits: number; fingerprint: string; comment: string; options?: string[] }>>;
  locked: string[];
  lastLogin: Record<string, number>;
};

/** Every output of every command this file runs, to search for secrets at the end. */
const outputs: string[] = [];

const run = recordingCli(outputs);
const cli = (dir: string, args: string[], input?: string): Promise<RunResult> => run(dir, args, { input });

async function addCred(t: ExecutionContext, dir: string, args: string[], input?: string): Promise<void> {
  const r = await cli(dir, ['creds', 'add', ...args], input);
  t.is(r.code, 0, r.stderr);
}

function secretsOf(info: ServerInfo): string[] {
  const admin = info.credentials.admin!;
  const alice = info.credentials.alice!;
  const keyBody = readFileSync(admin.keyFile!, 'utf8').split('\n').filter((l) => l && !l.startsWith('-----'));
  return [admin.password!, alice.password!, 'Wrong-Pass-9', ...keyBody];
}

function assertNoSecrets(t: ExecutionContext, info: ServerInfo, dir: string): void {
  const stored = [readFileSync(join(dir, 's.db')).toString('latin1')];
  for (const secret of secretsOf(info)) {
    for (const text of [...outputs, ...stored]) t.false(text.includes(secret), 'a secret appeared in an output or the database');
  }
}

function sshdLog(info: ServerInfo): string {
  return readFileSync(join(info.dir, 'sshd.log'), 'utf8');
}

async function accounts(dir: string, address: string): Promise<Account[]> {
  const r = await cli(dir, ['accounts', '--asset', address, '--format', 'jsonl']);
  return jsonLines(r.stdout) as unknown as Account[];
}

let enumerated: Promise<{ dir: string; scan: RunResult }> | undefined;
const cleanups: Array<() => void> = [];
test.after.always(() => cleanups.forEach((fn) => fn()));
/** One scan of the lab sshd with the admin credential (password, sudo) shared by the comparisons. */
function adminScan(t: ExecutionContext, info: ServerInfo): Promise<{ dir: string; scan: RunResult }> {
  enumerated ??= (async () => {
    const dir = tempDir({ teardown: (fn) => cleanups.push(fn) });
    const admin = info.credentials.admin!;
    await addCred(t, dir, ['--name', 'lab-admin', '--type', 'ssh', '--username', admin.username, '--password-stdin', '--elevate', 'sudo', '--scope', `${info.address}/32`], `${admin.password}\n`);
    const scan = await cli(dir, ['scan', info.address, '--ports', '22', '--creds', 'lab-admin', '--format', 'jsonl']);
    return { dir, scan };
  })();
  return enumerated;
}

labTest('ssh', 'enumeration: users and groups equal getent on the host', async (t, info) => {
  const { dir, scan } = await adminScan(t, info);
  t.is(scan.code, 0, scan.stderr);
  const [asset] = jsonLines(scan.stdout) as Array<{ enumerations: Array<{ status: string; credential: string }> }>;
  t.like(asset!.enumerations[0], { status: 'success', credential: 'lab-admin' });
  const local = (await accounts(dir, info.address)).filter((a) => a.kind === 'local' && !OTHER_LAB.test(a.name));
  const truth = getent('passwd').map(([name, , uid, gid, , home, shell]) => [name, uid, Number(gid), home, shell]);
  t.deepEqual(local.map((a) => [a.name, a.uid, a.details.gid, a.details.home, a.details.shell]).sort(), truth.sort());
  // Group membership: every account's groups equal its primary group plus the groups getent lists it in.
  const groups = getent('group');
  for (const a of local) {
    const expected = [...new Set(groups.filter((g) => g[2] === String(a.details.gid) || (g[3] ?? '').split(',').includes(a.name)).map((g) => g[0]))];
    t.deepEqual([...(a.details.groups as string[])].sort(), expected.sort(), a.name);
  }
  const shown = await cli(dir, ['assets', 'show', info.address, '--format', 'json']);
  const facts = (JSON.parse(shown.stdout) as { enumerations: Array<{ facts: Record<string, { value: unknown }> }> }).enumerations[0]!.facts;
  const factGroups = (facts.groups!.value as Array<{ name: string; gid: number; members: string[] }>).filter((g) => !OTHER_LAB.test(g.name));
  t.deepEqual(factGroups.map((g) => [g.name, String(g.gid), g.members.filter((m) => !OTHER_LAB.test(m)).join(',')]).sort(),
    groups.map((g) => [g[0], g[2], (g[3] ?? '').split(',').filter((m) => m && !OTHER_LAB.test(m)).join(',')]).sort());
});

labTest('ssh', 'enumeration: privileged accounts equal uid 0, admin group members and sudo -l grants, each with a reason', async (t, info) => {
  const { dir } = await adminScan(t, info);
  const local = (await accounts(dir, info.address)).filter((a) => a.kind === 'local' && !OTHER_LAB.test(a.name));
  t.deepEqual(local.filter((a) => a.privileged).map((a) => a.name).sort(), privilegedTruth());
  for (const a of local.filter((x) => x.privileged)) t.true(a.reasons.length > 0, a.name);
  const byName = new Map(local.map((a) => [a.name, a]));
  const admin = info.credentials.admin!.username;
  const bob = admin.replace(/admin$/, 'bob');
  t.true(byName.get('root')!.reasons.some((r) => r.startsWith('uid 0')));
  t.true(byName.get(admin)!.reasons.some((r) => r.startsWith(`sudoers: ${admin} ALL=(ALL) NOPASSWD: ALL (/etc/sudoers.d/${admin}:`)));
  t.true(byName.get(bob)!.reasons.includes('member of group sudo (getent group)'));
  const privileged = await cli(dir, ['accounts', '--privileged', '--asset', info.address, '--format', 'jsonl']);
  t.deepEqual((jsonLines(privileged.stdout) as unknown as Account[]).filter((a) => a.kind === 'local' && !OTHER_LAB.test(a.name)).map((a) => a.name).sort(), privilegedTruth());
});

labTest('ssh', 'enumeration: locks, last login, package count and authorized keys equal shadow, lastlog, dpkg-query and ssh-keygen', async (t, info) => {
  const { dir } = await adminScan(t, info);
  const truth = truthOf<Truth>(info);
  const all = await accounts(dir, info.address);
  const local = new Map(all.filter((a) => a.kind === 'local').map((a) => [a.name, a]));
  for (const name of truth.locked) t.is(local.get(name)!.enabled, false, `${name} is locked`);
  t.is(local.get(info.credentials.admin!.username)!.enabled, true);
  for (const [name, at] of Object.entries(truth.lastLogin)) {
    t.true(Math.abs(Date.parse(local.get(name)!.lastLogon!) / 1000 - at) <= 2, `last login of ${name}`);
  }
  const shown = await cli(dir, ['assets', 'show', info.address, '--format', 'json']);
  const facts = (JSON.parse(shown.stdout) as { enumerations: Array<{ facts: Record<string, { value: { packages?: unknown[] } }> }> }).enumerations[0]!.facts;
  const dpkgCount = execFileSync('sh', ['-c', 'dpkg-query -W | wc -l']).toString().trim();
  t.is(String(facts.software!.value.packages!.length), dpkgCount);
  const keys = all.filter((a) => a.kind === 'ssh-key');
  for (const [user, expected] of Object.entries(truth.authorizedKeys)) {
    const found = keys.filter((k) => k.name === user).map((k) => ({ bits: k.details.bits, fingerprint: k.details.fingerprint, comment: k.details.comment, options: k.details.options }));
    t.deepEqual(found.sort((a, b) => String(a.fingerprint).localeCompare(String(b.fingerprint))),
      expected.map((k) => ({ bits: k.bits, fingerprint: k.fingerprint, comment: k.comment, options: k.options ?? [] })).sort((a, b) => a.fingerprint.localeCompare(b.fingerprint)), user);
  }
  assertNoSecrets(t, info, dir);
});

labTest('ssh', 'a wrong password: auth-failed with the credential name, exactly one attempt, no secret anywhere', async (t, info) => {
  const dir = tempDir(t);
  const alice = info.credentials.alice!.username;
  await addCred(t, dir, ['--name', 'wrong-alice', '--username', alice, '--password-stdin', '--scope', info.address], 'Wrong-Pass-9\n');
  const failedBefore = sshdLog(info).split(`Failed password for ${alice} `).length;
  const scan = await cli(dir, ['scan', info.address, '--ports', '22', '--creds', 'wrong-alice', '--format', 'json']);
  t.is(scan.code, 3, `no credential enumerated the host: exit 3; ${scan.stderr}`);
  const asset = (JSON.parse(scan.stdout) as { assets: Array<{ enumerations: Array<{ status: string; credential: string; notes: string[] }> }> }).assets[0]!;
  t.like(asset.enumerations[0], { status: 'auth-failed', credential: 'wrong-alice' });
  t.regex(asset.enumerations[0]!.notes[0]!, new RegExp(`refused password authentication as ${alice}`));
  await waitFor('the sshd log', () => sshdLog(info).split(`Failed password for ${alice} `).length > failedBefore, 30_000);
  await new Promise((r) => setTimeout(r, 300));
  t.is(sshdLog(info).split(`Failed password for ${alice} `).length - failedBefore, 1, 'exactly one failed attempt in the sshd log');
  const show = await cli(dir, ['assets', 'show', info.address]);
  t.regex(show.stdout, /enumeration ssh\/22 with wrong-alice \(scan 1\): auth-failed/);
  const test = await cli(dir, ['creds', 'test', 'wrong-alice', info.address]);
  t.is(test.code, 1);
  t.regex(test.stdout, /wrong-alice on .* port 22: auth-failed/);
  assertNoSecrets(t, info, dir);
});

labTest('ssh', 'an unprivileged credential: success, with notes for what needed root', async (t, info) => {
  const dir = tempDir(t);
  const alice = info.credentials.alice!;
  await addCred(t, dir, ['--name', 'alice', '--username', alice.username, '--password-stdin', '--elevate', 'sudo', '--scope', '127.0.0.0/8'], `${alice.password}\n`);
  const scan = await cli(dir, ['scan', info.address, '--ports', '22', '--creds', 'alice', '--format', 'jsonl']);
  const e = (jsonLines(scan.stdout)[0] as { enumerations: Array<{ status: string; notes: string[]; accounts: number }> }).enumerations[0]!;
  t.is(e.status, 'success');
  t.true(e.accounts >= getent('passwd').length);
  t.true(e.notes.some((n) => n.startsWith('sudo -n was refused')), e.notes.join('\n'));
  t.true(e.notes.some((n) => n.startsWith('shadow was not readable')));
  t.true(e.notes.some((n) => n.startsWith('sudoers was not readable')));
  const local = (await accounts(dir, info.address)).filter((a) => a.kind === 'local');
  t.true(local.every((a) => a.enabled === null), 'without shadow, locks are unknown');
  t.true(local.find((a) => a.name === 'root')!.privileged);
  assertNoSecrets(t, info, dir);
});

labTest('ssh', 'a credential is never sent outside its scope', async (t, info) => {
  const dir = tempDir(t);
  // bob: a user no other test here logs in as, so any line about him in the sshd log would come from this test
  const bob = info.credentials.admin!.username.replace(/admin$/, 'bob');
  await addCred(t, dir, ['--name', 'elsewhere', '--username', bob, '--password-stdin', '--scope', '127.99.0.0/16'], 'Wrong-Pass-9\n');
  const before = sshdLog(info).length;
  const scan = await cli(dir, ['scan', info.address, '--ports', '22', '--creds', 'elsewhere', '--format', 'jsonl']);
  t.is(scan.code, 0);
  t.is((jsonLines(scan.stdout)[0] as { enumerations?: unknown }).enumerations, undefined);
  const test = await cli(dir, ['creds', 'test', 'elsewhere', info.address]);
  t.is(test.code, 2);
  t.regex(test.stderr, /outside the scope of credential elsewhere .*nothing was sent/);
  await new Promise((r) => setTimeout(r, 300));
  t.false(sshdLog(info).slice(before).includes(bob), 'no authentication reached the server');
});

/** A second sshd with the lab's users and settings on another address, with a host key of its own. */
async function startSshd(t: ExecutionContext, info: ServerInfo, dir: string, address: string, keyName: string): Promise<{ stop: () => void; log: () => string }> {
  const key = join(dir, keyName);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  const config = readFileSync(join(info.dir, 'sshd_config'), 'utf8').split('\n').filter((l) => !/^(ListenAddress|HostKey|PidFile) /.test(l));
  const file = join(dir, `${keyName}.conf`);
  writeFileSync(file, [`ListenAddress ${address}:22`, `HostKey ${key}`, `PidFile ${join(dir, `${keyName}.pid`)}`, ...config].join('\n'));
  let log = '';
  const child: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (d: Buffer) => {
    log += d.toString();
  });
  const stop = () => child.kill('SIGTERM');
  t.teardown(stop);
  await waitFor('the second sshd', async () => (await readBanner(address, 22, 2000)).startsWith('SSH-2.0-'), 60_000, 50);
  return { stop, log: () => log };
}

labTest('ssh', 'a changed host key: enumeration refused before the credential is sent, until the admin accepts it', async (t, info) => {
  const dir = tempDir(t);
  const address = '127.34.0.1';
  const admin = info.credentials.admin!;
  await addCred(t, dir, ['--name', 'pin', '--username', admin.username, '--key', admin.keyFile!, '--elevate', 'sudo', '--scope', '127.34.0.0/24']);
  const first = await startSshd(t, info, dir, address, 'first');
  const scan1 = await cli(dir, ['scan', address, '--ports', '22', '--creds', 'pin', '--format', 'jsonl']);
  t.is((jsonLines(scan1.stdout)[0] as { enumerations: Array<{ status: string }> }).enumerations[0]!.status, 'success');
  const pinned = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'first.pub')]).toString().split(' ')[1]!;
  first.stop();
  await waitFor('the first sshd to stop', () => readBanner(address, 22, 1000).then((b) => !b.startsWith('SSH-2.0-'), () => true), 30_000, 50);

  const second = await startSshd(t, info, dir, address, 'second');
  const offered = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'second.pub')]).toString().split(' ')[1]!;
  const scan2 = await cli(dir, ['scan', address, '--ports', '22', '--creds', 'pin', '--format', 'jsonl']);
  const e = (jsonLines(scan2.stdout)[0] as { enumerations: Array<{ status: string; notes: string[] }> }).enumerations[0]!;
  t.is(e.status, 'hostkey-changed');
  t.true(e.notes[0]!.includes(`pinned ssh-ed25519 ${pinned}`) && e.notes[0]!.includes(`offered ssh-ed25519 ${offered}`), e.notes[0]);
  await new Promise((r) => setTimeout(r, 300));
  t.notRegex(second.log(), /Accepted|Failed|Postponed/, 'no authentication reached the server with the changed key');
  const test = await cli(dir, ['creds', 'test', 'pin', address]);
  t.is(test.code, 1);
  t.regex(test.stdout, /hostkey-changed: HOST KEY CHANGED/);

  const list = await cli(dir, ['hostkeys', 'list', '--format', 'json']);
  t.like((JSON.parse(list.stdout) as { hostKeys: unknown[] }).hostKeys[0], { address, port: 22, sha256: pinned, offered: { sha256: offered } });
  const accept = await cli(dir, ['hostkeys', 'accept', address]);
  t.is(accept.code, 0, accept.stderr);
  const scan3 = await cli(dir, ['scan', address, '--ports', '22', '--creds', 'pin', '--format', 'jsonl']);
  t.is((jsonLines(scan3.stdout)[0] as { enumerations: Array<{ status: string }> }).enumerations[0]!.status, 'success');
  t.regex(second.log(), new RegExp(`Accepted publickey for ${admin.username}`));
  const again = await cli(dir, ['hostkeys', 'accept', address]);
  t.is(again.code, 2);
  t.regex(again.stderr, /no changed host key is waiting/);
});
