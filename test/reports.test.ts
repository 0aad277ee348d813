/**
 * The auditors' reports over a store built through the Store API (a temporary SQLite file), run through the real
 * `surveyor` bin. The accounts come from the SSH enumeration's own code (accountsOf over getent, lastlog and
 * authorized_keys text); the keys are real ones made by ssh-keygen, whose `-l` gives the fingerprints to compare
 * with. Shown:
 * - unknown is not never: a user lastlog has no line for is "unknown", one it says never logged in is "never",
 *   in `report stale`, `report unmanaged`, `accounts` and the rule fields (`neverLoggedOn`, `lastLogon`);
 * - each SSH key of `report unmanaged` is identified (type, bits, fingerprint), found by a short provenance (the
 *   full command only under --evidence), with the same reasons as `accounts`, and "Excluded by" comes early;
 * - every report starts with summary counts (table, json; csv stays rows), `report software --by package` counts
 *   hosts per package, and the HTML page sorts, filters and searches with an inline script and no external URL.
 */
import test, { type ExecutionContext } from 'ava';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { accountsOf } from '../enum/ssh/accounts.js';
import type { Collected } from '../enum/ssh/collect.js';
import { parseAuthorizedKeys } from '../enum/ssh/keys.js';
import { parseLastlog } from '../enum/ssh/parse-accounts.js';
import { type RunEntry, parseRuns } from '../enum/ssh/parse-runs.js';
import type { EnumerationRecord } from '../enum/types.js';
import { evaluateEstate } from '../onboarding/decide.js';
import { compileRules } from '../onboarding/evaluate.js';
import { checkRules } from '../onboarding/rule-file.js';
import { accountSubject, assetSubject } from '../onboarding/subjects.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { runCli, tempDir } from './helpers/cli.js';
import { REPORTS } from '../app/reports.js';

const DAY = 86_400_000;
const NOW = Date.now();
/** A time as lastlog prints it: "Sun Nov  2 19:36:41 +0000 2026". */
const lastlogDate = (ms: number) => {
  const d = new Date(ms);
  const wd = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()];
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()];
  return `${wd} ${mon} ${String(d.getUTCDate()).padStart(2, ' ')} ${d.toISOString().slice(11, 19)} +0000 ${d.getUTCFullYear()}`;
};
const OLD = NOW - 200 * DAY;
const RECENT = NOW - 2 * DAY;
/** The command the real enumeration records for authorized_keys: long, with a random marker. */
const KEY_SOURCE = `sudo -n sh -c 'for f in /root/.ssh/authorized_keys /home/*/.ssh/authorized_keys; do echo "3f9c1e7a5b2d4c6e8a0b1c2d3e4f5a6b $f"; cat "$f"; done' # <AuthorizedKeysFile of each user>`;

interface Built { db: string; dir: string; keys: Array<{ type: string; bits: number; fingerprint: string }>; enumeration: EnumerationRecord; runs: RunEntry[] }

/** Three real keys for hx_admin, from ssh-keygen; the fingerprints ssh-keygen -l gives are the ground truth. */
function makeKeys(dir: string): { text: string; truth: Array<{ type: string; bits: number; fingerprint: string }> } {
  const specs = [['ed25519', []], ['rsa', ['-b', '3072']], ['ecdsa', ['-b', '256']]] as const;
  const lines: string[] = [];
  const truth = specs.map(([type, extra], i) => {
    const file = join(dir, `k${i}`);
    execFileSync('ssh-keygen', ['-q', '-t', type, ...extra, '-N', '', '-C', `laptop-${i}`, '-f', file]);
    lines.push(readFileSync(`${file}.pub`, 'utf8').trim());
    const [bits, fingerprint] = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`], { encoding: 'utf8' }).split(' ');
    const keyType = readFileSync(`${file}.pub`, 'utf8').split(' ')[0]!;
    return { type: keyType, bits: Number(bits), fingerprint: fingerprint! };
  });
  return { text: lines.join('\n') + '\n', truth };
}

async function build(t: ExecutionContext): Promise<Built> {
  const dir = tempDir(t);
  const { text: keyText, truth } = makeKeys(dir);
  const lastlog = parseLastlog([
    'Username         Port     From                                       Latest',
    // root has no line at all: lastlog gave nothing, so its last logon is unknown.
    'alice            pts/0    127.103.0.9                                ' + lastlogDate(OLD),
    'bob                                                                  **Never logged in**',
    'carol            pts/1    127.103.0.9                                ' + lastlogDate(RECENT),
    'hx_admin                                                             **Never logged in**',
  ].join('\n'));
  // What the runs script prints on the first host: a service, a DynamicUser= one, a cron.d job and a user's crontab.
  const runs = parseRuns([
    'B dirs /usr/lib/systemd/system', 'B unit /usr/lib/systemd/system/app.service', '[Service]', 'User=alice', 'ExecStart=/opt/app/run',
    'B unit /usr/lib/systemd/system/dyn.service', '[Service]', 'DynamicUser=yes', 'ExecStart=/bin/true',
    'B cron /etc/cron.d/jobs', '0 1 * * * hx_admin /usr/local/bin/rotate-logs', 'B crontab /var/spool/cron/crontabs/alice', '*/10 * * * * /usr/bin/sync-data',
  ].join('\n'), 'B', () => undefined);
  const collected: Collected = {
    sudo: true, notes: [], runs,
    facts: { 'authorized-keys': { source: KEY_SOURCE }, passwd: { source: 'getent passwd' } },
    passwd: [
      { name: 'root', uid: 0, gid: 0, gecos: 'root', home: '/root', shell: '/bin/bash' },
      { name: 'alice', uid: 1001, gid: 1001, gecos: '', home: '/home/alice', shell: '/bin/bash' },
      { name: 'bob', uid: 1002, gid: 1002, gecos: '', home: '/home/bob', shell: '/bin/bash' },
      { name: 'carol', uid: 1003, gid: 1003, gecos: '', home: '/home/carol', shell: '/bin/bash' },
      { name: 'hx_admin', uid: 1004, gid: 1004, gecos: '', home: '/home/hx_admin', shell: '/bin/bash' },
    ],
    groups: [{ name: 'root', gid: 0, members: [] }, { name: 'sudo', gid: 27, members: ['alice', 'bob', 'hx_admin'] }],
    lastlog,
    keyFiles: [{ user: 'hx_admin', path: '/home/hx_admin/.ssh/authorized_keys', ...parseAuthorizedKeys(keyText) }],
  };
  const accounts = accountsOf(collected, 'root').map((a) => (a.kind === 'local' ? { ...a, enabled: true } : a));
  const software = (pkgs: Array<[string, string]>) => ({ source: 'dpkg-query -W', value: { manager: 'dpkg', packages: pkgs.map(([name, version]) => ({ name, version, arch: 'amd64' })) } });
  const enumeration: EnumerationRecord = {
    method: 'ssh', port: 22, credential: 'lab-root', status: 'success', notes: [], elapsedMs: 10, accounts,
    facts: { software: software([['openssh-server', '1:9.2p1-2'], ['sudo', '1.9.13']]), dependencies: { source: 'runs script', value: runs } },
  };
  const db = join(dir, 's.db');
  const store = await openStore(db, { create: true });
  try {
    const totals = { probesDone: 2, hostsDone: 2, open: 2, closed: 0, filtered: 0 };
    const id = await store.createScan({ startedAt: new Date(NOW - 1000).toISOString(), targets: ['127.103.0.1-127.103.0.2'], exclusions: [], ports: [22], options: { timeoutMs: 1000 }, hostsTotal: 2, probesTotal: 2 });
    const seenAt = new Date(NOW - 500).toISOString();
    const port = [{ port: 22, state: 'open' as const, rttMs: 0.2, attempts: 1 }];
    await store.recordHosts(id, [
      { address: '127.103.0.1', hostnames: ['a.lab.test'], ports: port, seenAt, enumerations: [enumeration] },
      { address: '127.103.0.2', hostnames: [], ports: port, seenAt, enumerations: [{ ...enumeration, accounts: [], facts: { software: software([['openssh-server', '1:9.2p1-3'], ['curl', '7.88']]) } }] },
    ], totals);
    await store.finishScan(id, 'completed', totals, new Date(NOW - 100).toISOString());
  } finally {
    await store.close();
  }
  return { db, dir, keys: truth, enumeration, runs: runs.entries };
}

async function withStore<T>(db: string, fn: (s: Store) => Promise<T>): Promise<T> {
  const store = await openStore(db);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

async function ok(t: ExecutionContext, args: string[]): Promise<string> {
  const r = await runCli(args);
  t.is(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

type Row = Record<string, unknown>;
interface JsonReport { summary: Record<string, number>; rows: Row[]; parameters: Record<string, unknown> }
const json = async (t: ExecutionContext, db: string, ...args: string[]): Promise<JsonReport> =>
  JSON.parse(await ok(t, ['report', ...args, '--format', 'json', '--db', db])) as JsonReport;

test('unknown is not never: lastlog\'s "Never logged in" is never, no lastlog line is unknown, in reports, accounts and rules', async (t) => {
  const { db } = await build(t);
  const stale = await json(t, db, 'stale');
  const logon = (rows: Row[], name: string) => rows.find((r) => r.account === name && r.kind === 'local')?.lastLogon;
  t.is(logon(stale.rows, 'root'), 'unknown', 'lastlog gave nothing for root');
  t.is(logon(stale.rows, 'bob'), 'never');
  t.is(logon(stale.rows, 'alice'), new Date(OLD - (OLD % 1000)).toISOString());
  t.is(logon(stale.rows, 'carol'), undefined, 'a recent logon is not stale');
  t.like(stale.summary, { rows: stale.rows.length, neverLoggedOn: 2, logonUnknown: 1, olderThanDays: 1 });
  const table = await ok(t, ['report', 'stale', '--db', db]);
  t.regex(table, /\broot\b.*\bunknown\b/);
  t.notRegex(table, /\broot\b.*\bnever\b/);

  const unmanaged = await json(t, db, 'unmanaged');
  t.is(logon(unmanaged.rows, 'root'), 'unknown');
  t.is(logon(unmanaged.rows, 'bob'), 'never');

  const accounts = (JSON.parse(await ok(t, ['accounts', '--format', 'json', '--db', db])) as { accounts: Row[] }).accounts;
  const acc = (name: string) => accounts.find((a) => a.name === name && a.kind === 'local')!;
  t.like(acc('root'), { lastLogon: null, neverLoggedOn: false });
  t.like(acc('bob'), { lastLogon: null, neverLoggedOn: true });
  t.regex(await ok(t, ['accounts', '--db', db]), /\broot\b.*\bunknown\b/);

  // Rules: neverLoggedOn selects the recorded never only; lastLogon's time operators pass unknown and never by.
  const select = (when: unknown) => withStore(db, async (store) => {
    const { rules, problems } = checkRules({ schema: 1, rules: [{ name: 'case', kind: 'account', when, then: [{ tag: 'hit' }] }] });
    t.deepEqual(problems, []);
    const assets = (await store.listAssets()).map((v) => assetSubject(v, new Map()));
    const byId = new Map(assets.map((a) => [a.id, a]));
    const subjects = (await store.listAccounts()).filter((a) => a.kind === 'local').map((v) => accountSubject(v, byId.get(v.assetId)!));
    return evaluateEstate(compileRules(rules, NOW), assets, subjects, { explain: true }).results.map((r) => r.label.split(' ')[1]).sort();
  });
  t.deepEqual(await select({ field: 'neverLoggedOn', op: 'eq', value: true }), ['bob', 'hx_admin']);
  t.deepEqual(await select({ field: 'neverLoggedOn', op: 'eq', value: false }), ['alice', 'carol']);
  t.deepEqual(await select({ field: 'neverLoggedOn', op: 'exists', value: false }), ['root']);
  t.deepEqual(await select({ field: 'lastLogon', op: 'olderThanDays', value: 90 }), ['alice']);
});

test('report unmanaged identifies each SSH key, says briefly who found it (the command under --evidence) and gives the reasons accounts gives', async (t) => {
  const { db, keys } = await build(t);
  const report = await json(t, db, 'unmanaged');
  const keyRows = report.rows.filter((r) => r.kind === 'ssh-key');
  t.is(keyRows.length, 3);
  t.deepEqual(keyRows.map((r) => r.key).sort(), keys.map((k) => `${k.type} ${k.bits} ${k.fingerprint}`).sort(), 'type, bits and fingerprint as ssh-keygen -l gives them');
  const accounts = (JSON.parse(await ok(t, ['accounts', '--privileged', '--format', 'json', '--db', db])) as { accounts: Row[] }).accounts;
  for (const r of report.rows) {
    t.false(String(r.foundBy).includes('3f9c1e7a5b2d4c6e8a0b1c2d3e4f5a6b'), 'no command with its marker in Found by');
    t.true(String(r.foundBy).startsWith('ssh, credential lab-root'), String(r.foundBy));
    t.true(String(r.foundBy).length < 80, String(r.foundBy));
    const same = accounts.find((a) => a.kind === r.kind && a.name === r.account && (r.kind !== 'ssh-key' || String(r.key).endsWith(String((a.details as Row).fingerprint))))!;
    t.deepEqual(r.privilegedBecause, same.reasons, 'the same list of reasons as accounts');
    t.false('evidence' in r);
  }
  const withEvidence = await json(t, db, 'unmanaged', '--evidence');
  t.deepEqual(withEvidence.rows.filter((r) => r.kind === 'ssh-key').map((r) => r.evidence), [KEY_SOURCE, KEY_SOURCE, KEY_SOURCE]);
  // "Excluded by" among the first columns (it was the 13th, off-screen), in the table and the page.
  const header = (await ok(t, ['report', 'unmanaged', '--db', db])).split('\n').find((l) => l.startsWith('ASSET'))!;
  t.true(header.indexOf('EXCLUDED BY') < header.indexOf('WHY PRIVILEGED'), header);
  const csvHeader = (await ok(t, ['report', 'unmanaged', '--format', 'csv', '--db', db])).split('\r\n')[0]!.split(',');
  t.true(csvHeader.indexOf('excludedBy') <= 5, csvHeader.join(','));
  const bad = await runCli(['report', 'stale', '--evidence', '--db', db]);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /--evidence/);
});

test('every report starts with summary counts; software --by package counts hosts per package', async (t) => {
  const { db } = await build(t);
  const [software, accounts] = await withStore(db, (s) => Promise.all([s.listSoftware(), s.listAccounts({ privileged: true })]));
  for (const name of REPORTS) {
    const r = await json(t, db, name);
    t.is(typeof r.summary, 'object', name);
    t.true(Object.values(r.summary).every((v) => Number.isInteger(v)), name);
    const table = await ok(t, ['report', name, '--db', db]);
    const lines = table.split('\n');
    t.regex(lines[1]!, /^ {2}\S.*: \d+$/, `${name}: the summary block comes before the rows`);
    const csv = (await ok(t, ['report', name, '--format', 'csv', '--db', db])).split('\r\n').filter(Boolean);
    t.is(csv.length, r.rows.length + 1, `${name}: csv is the header and the rows only`);
  }
  const unmanaged = await json(t, db, 'unmanaged');
  t.like(unmanaged.summary, {
    rows: accounts.length, assets: new Set(accounts.map((a) => a.address)).size,
    'ssh-key': accounts.filter((a) => a.kind === 'ssh-key').length, local: accounts.filter((a) => a.kind === 'local').length,
  });
  const byPackage = await json(t, db, 'software', '--by', 'package');
  const truth = new Map<string, Set<string>>();
  for (const p of software) truth.set(p.name, (truth.get(p.name) ?? new Set()).add(p.address));
  t.deepEqual(Object.fromEntries(byPackage.rows.map((r) => [r.package, r.hosts])), Object.fromEntries([...truth].map(([n, h]) => [n, h.size])));
  t.deepEqual(byPackage.rows.find((r) => r.package === 'openssh-server')!.versions, [...new Set(software.filter((p) => p.name === 'openssh-server').map((p) => p.version))].sort());
  t.like(byPackage.summary, { installations: software.length, packages: truth.size, assets: 2 });
  for (const args of [['software', '--by', 'pkg'], ['stale', '--by', 'package']]) {
    const r = await runCli(['report', ...args, '--db', db]);
    t.is(r.code, 2, args.join(' '));
    t.regex(r.stderr, args[2] === 'pkg' ? /"pkg"/ : /--by/);
  }
});

test('report dependencies: one row per account and what it runs, with whether the account is listed and privileged; rule fields count them', async (t) => {
  const { db, runs } = await build(t);
  const report = await json(t, db, 'dependencies');
  const accounts = (JSON.parse(await ok(t, ['accounts', '--format', 'json', '--db', db])) as { accounts: Row[] }).accounts.filter((a) => a.kind === 'local');
  const byName = new Map(accounts.map((a) => [a.name, a]));
  t.deepEqual(report.rows.map((r) => [r.address, r.account, r.kind, r.name, r.schedule, r.command, r.source, r.accountListed, r.privileged]).sort(),
    runs.map((e) => ['127.103.0.1', e.account, e.kind, e.name, e.schedule ?? null, e.command, e.source, byName.has(e.account), (byName.get(e.account)?.privileged as boolean | undefined) ?? null]).sort());
  t.like(report.summary, { rows: 4, accounts: 3, assets: 1, service: 2, cron: 2, at: 0, privileged: 2, unlisted: 1 });
  t.deepEqual((byName.get('alice')!.details as Row).runs, { services: 1, cronJobs: 1, atJobs: 0 } as unknown as Row);
  for (const format of ['csv', 'html', 'jsonl']) await ok(t, ['report', 'dependencies', '--format', format, '--db', db]);
  // "runs N services": the rule fields read the counts; an account that runs nothing has 0, not absent.
  const select = (when: unknown) => withStore(db, async (store) => {
    const { rules, problems } = checkRules({ schema: 1, rules: [{ name: 'case', kind: 'account', when, then: [{ tag: 'hit' }] }] });
    t.deepEqual(problems, []);
    const assets = (await store.listAssets()).map((v) => assetSubject(v, new Map()));
    const byId = new Map(assets.map((a) => [a.id, a]));
    const subjects = (await store.listAccounts()).filter((a) => a.kind === 'local').map((v) => accountSubject(v, byId.get(v.assetId)!));
    return evaluateEstate(compileRules(rules, NOW), assets, subjects, { explain: true }).results.map((r) => r.label.split(' ')[1]).sort();
  });
  t.deepEqual(await select({ field: 'services', op: 'gte', value: 1 }), ['alice']);
  t.deepEqual(await select({ field: 'cronJobs', op: 'gte', value: 1 }), ['alice', 'hx_admin']);
  t.deepEqual(await select({ field: 'atJobs', op: 'eq', value: 0 }), ['alice', 'bob', 'carol', 'hx_admin', 'root']);
});

test('the HTML report sorts, filters and searches offline: an inline script, no external URL', async (t) => {
  const { db, dir } = await build(t);
  const file = join(dir, 'u.html');
  await ok(t, ['report', 'unmanaged', '--format', 'html', '--output', file, '--db', db]);
  const page = readFileSync(file, 'utf8');
  t.notRegex(page, /https?:|\/\/[a-z]|(src|href|action)\s*=|@import|url\(/i, 'no external resource');
  const scripts = [...page.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
  t.is(scripts.length, 1);
  t.is((page.match(/<script/g) ?? []).length, 1);
  const report = await json(t, db, 'unmanaged');
  const columns = (await ok(t, ['report', 'unmanaged', '--format', 'csv', '--db', db])).split('\r\n')[0]!.split(',').length;
  t.is((page.match(/<thead><tr>(.*?)<\/tr>/)![1]!.match(/<th /g) ?? []).length, columns);
  t.is((page.match(/<tr class="filters">(.*?)<\/tr>/)![1]!.match(/<input /g) ?? []).length, columns, 'one filter per column');
  t.is((page.match(/<tbody>\n([\s\S]*?)<\/tbody>/)![1]!.match(/<tr>/g) ?? []).length, report.rows.length);
  t.regex(page, /<input id="search"/);
  t.regex(page, /<ul class="summary"><li><strong>\d+<\/strong> unmanaged privileged accounts/);

  // The page's own script, without a DOM: its compare, filter and order functions.
  const api = runInNewContext(`${scripts[0]}; surveyorTable`, {}) as {
    compare(a: string, b: string): number; matches(cells: string[], search: string, filters: string[]): boolean; order(rows: string[][], col: number, asc: boolean): number[];
  };
  t.true(api.compare('9', '10') < 0, 'numbers by value');
  t.true(api.compare('host10', 'Host9') > 0, 'digit runs by value, case ignored');
  t.true(api.compare('', 'a') > 0 && api.compare('-', 'a') > 0, 'empty cells last');
  const rows = [['b', '10', 'ssh-ed25519 256 SHA256:x'], ['a', '9', '-'], ['c', '', 'ssh-rsa 3072 SHA256:y']];
  t.deepEqual(api.order(rows, 1, true), [1, 0, 2]);
  t.deepEqual(api.order(rows, 1, false), [0, 1, 2], 'empty cells stay last either way');
  t.deepEqual(api.order(rows, 0, false), [2, 0, 1]);
  t.true(api.matches(rows[0]!, 'ED25519', ['', '', '']));
  t.false(api.matches(rows[1]!, 'ed25519', ['', '', '']));
  t.true(api.matches(rows[2]!, '', ['c', '', 'rsa']));
  t.false(api.matches(rows[2]!, '', ['c', '', 'dss']));
});
