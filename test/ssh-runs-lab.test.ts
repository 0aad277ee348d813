/**
 * Which account runs what, read by the SSH enumeration of the lab's sshd (this host), compared with the host's own
 * tools (test/helpers/runs-truth.ts: systemd-analyze, crontab -l, atq and at -c; systemctl needs a running systemd,
 * which this host has not). The lab put units (User= and Group=, a drop-in overriding User=, DynamicUser=), a
 * cron.d file, a crontab and an at job among the host's own; the comparison covers every service and job of the
 * host. Then the accounts' counts, the dependencies report, the rule fields, an unprivileged credential (per-user
 * crontabs and at jobs need root), and a cron job's secret, which appears nowhere.
 */
import test, { ExecutionContext } from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerInfo } from '../fixtures/lab/types.js';
import { jsonLines, recordingCli, RunResult, tempDir } from './helpers/cli.js';
import { atTruth, cronTruth, servicesTruth } from './helpers/runs-truth.js';
import { labTest, truthOf } from './helpers/lab.js';

type Entry = { kind: string; account: string; group?: string; name: string; schedule?: string; command: string; source: string; dynamicUser?: boolean };
type Account = { kind: string; name: string; privileged: boolean; details: { runs?: { services: number; cronJobs: number; atJobs: number } } };
type Truth = { runs: { cronSecret: string; units: string[] } };

const outputs: string[] = [];
const run = recordingCli(outputs);
const cli = (dir: string, args: string[], input?: string): Promise<RunResult> => run(dir, args, { input });

async function ok(t: ExecutionContext, dir: string, args: string[], input?: string): Promise<string> {
  const r = await cli(dir, args, input);
  t.is(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Another lab's fixtures (a run on another tag, here at the same time) come and go: they are left out. */
function foreign(info: ServerInfo): (text: string) => boolean {
  const own = info.credentials.admin!.username.replace(/admin$/, '');
  return (text) => /(^|[/\s])sv\d+/.test(text) && !text.includes(own);
}

const cleanups: Array<() => void> = [];
test.after.always(() => cleanups.forEach((fn) => fn()));
let scanned: Promise<{ dir: string; entries: Entry[] }> | undefined;

/** One scan with the admin credential (sudo), shared by the comparisons. */
function adminScan(t: ExecutionContext, info: ServerInfo): Promise<{ dir: string; entries: Entry[] }> {
  scanned ??= (async () => {
    const dir = tempDir({ teardown: (fn) => cleanups.push(fn) });
    const admin = info.credentials.admin!;
    await ok(t, dir, ['creds', 'add', '--name', 'lab-admin', '--username', admin.username, '--password-stdin', '--elevate', 'sudo', '--scope', `${info.address}/32`], `${admin.password}\n`);
    await ok(t, dir, ['scan', info.address, '--ports', '22', '--creds', 'lab-admin', '--format', 'jsonl']);
    const shown = JSON.parse(await ok(t, dir, ['assets', 'show', info.address, '--format', 'json'])) as { enumerations: Array<{ facts: Record<string, { value?: { entries: Entry[] } }> }> };
    return { dir, entries: shown.enumerations[0]!.facts.dependencies!.value!.entries };
  })();
  return scanned;
}

/** A stored command is the host's with any masked part ("***") standing for what was there. */
function sameCommand(stored: string, real: string): boolean {
  const pattern = stored.split('***').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('\\S+');
  return new RegExp(`^${pattern}$`).test(real);
}

labTest('ssh', 'jobs: the services that name their account equal systemd-analyze cat-config of every unit systemd-analyze unit-paths holds', async (t, info) => {
  const { entries } = await adminScan(t, info);
  const other = foreign(info);
  const truth = servicesTruth().filter((s) => !other(s.unit) && !other(s.account));
  t.true(truthOf<Truth>(info).runs.units.every((u) => truth.some((s) => s.unit === u)), 'the lab\'s units are among them');
  const ours = entries.filter((e) => e.kind === 'service' && !e.name.includes('@') && !other(e.name) && !other(e.account));
  t.deepEqual(ours.map((e) => `${e.name} ${e.account} ${e.group ?? '-'}`).sort(), truth.map((s) => `${s.unit} ${s.account} ${s.group ?? '-'}`).sort());
  const report = ours.find((e) => e.name.endsWith('-report.service'))!;
  t.is(report.account, info.credentials.admin!.username, 'the drop-in\'s User= wins over the unit file\'s');
  t.regex(report.source, /-report\.service, \/etc\/systemd\/system\/.*-report\.service\.d\/10-user\.conf$/);
  t.true(ours.find((e) => e.name.endsWith('-dynamic.service'))!.dynamicUser);
});

labTest('ssh', 'jobs: cron jobs equal the system crontabs and crontab -l -u of each user; at jobs equal atq and at -c; the secret is masked', async (t, info) => {
  const { entries } = await adminScan(t, info);
  const other = foreign(info);
  const cron = entries.filter((e) => e.kind === 'cron' && !other(e.account) && !other(e.source));
  const cronTruthList = cronTruth().filter((c) => !other(c.account) && !other(c.file));
  t.deepEqual(cron.map((e) => `${e.account} | ${e.schedule} | ${e.source.replace(/:\d+$/, '')}`).sort(), cronTruthList.map((c) => `${c.account} | ${c.schedule} | ${c.file}`).sort());
  for (const c of cronTruthList) {
    t.true(cron.some((e) => e.account === c.account && e.schedule === c.schedule && sameCommand(e.command, c.command)), `${c.account} ${c.command}`);
  }
  const secret = truthOf<Truth>(info).runs.cronSecret;
  t.true(cronTruthList.some((c) => c.command.includes(secret)), 'the lab\'s cron job holds the secret');
  t.true(cron.some((e) => e.command.includes('DB_PASSWORD=***')));
  const at = entries.filter((e) => e.kind === 'at' && !other(e.account));
  const atTruthList = atTruth().filter((a) => !other(a.account));
  t.true(atTruthList.length > 0, 'the lab queued an at job');
  t.deepEqual(at.map((e) => [e.name, e.account, e.schedule, e.command]).sort(), atTruthList.map((a) => [`job ${a.job} (queue ${a.queue})`, a.account, a.time, a.command]).sort());
});

labTest('ssh', 'jobs: each account counts what it runs, the dependencies report lists it in every format, rules select "runs N services"', async (t, info) => {
  const { dir, entries } = await adminScan(t, info);
  const other = foreign(info);
  const accounts = (JSON.parse(await ok(t, dir, ['accounts', '--asset', info.address, '--format', 'json'])) as { accounts: Account[] }).accounts
    .filter((a) => a.kind === 'local' && !other(a.name));
  const count = (name: string, kind: string) => entries.filter((e) => e.account === name && e.kind === kind).length;
  for (const a of accounts) t.deepEqual(a.details.runs, { services: count(a.name, 'service'), cronJobs: count(a.name, 'cron'), atJobs: count(a.name, 'at') }, a.name);
  const alice = accounts.find((a) => a.name === info.credentials.alice!.username)!;
  t.deepEqual(alice.details.runs, { services: 1, cronJobs: 2, atJobs: 0 }, 'the lab gave alice a service, a cron.d job and a crontab job');

  const report = JSON.parse(await ok(t, dir, ['report', 'dependencies', '--format', 'json'])) as { rows: Array<Record<string, unknown>>; summary: Record<string, number> };
  const privileged = new Map(accounts.map((a) => [a.name, a.privileged]));
  const rows = report.rows.filter((r) => !other(String(r.account)) && !other(String(r.source)));
  t.deepEqual(rows.map((r) => [r.account, r.kind, r.name, r.command, r.source, r.privileged]).sort(),
    entries.filter((e) => !other(e.account) && !other(e.source)).map((e) => [e.account, e.kind, e.name, e.command, e.source, privileged.get(e.account) ?? null]).sort());
  t.is(report.summary.rows, report.rows.length);
  const csv = (await ok(t, dir, ['report', 'dependencies', '--format', 'csv'])).split('\r\n').filter(Boolean);
  t.is(csv.length, report.rows.length + 1);
  t.regex(await ok(t, dir, ['report', 'dependencies', '--format', 'html']), /<h1>Accounts that run services and jobs<\/h1>/);

  const rules = join(dir, 'rules.yaml');
  writeFileSync(rules, 'schema: 1\nrules:\n  - name: service accounts\n    kind: account\n    when: { field: services, op: gte, value: 1 }\n    then: [ { group: runs-services } ]\n');
  const applied = JSON.parse(await ok(t, dir, ['rules', 'apply', rules, '--dry-run', '--explain', '--format', 'json'])) as { results: Array<{ label: string }> };
  const selected = applied.results.map((r) => r.label.split(' ')[1]!).filter((n) => !other(n)).sort();
  t.deepEqual(selected, accounts.filter((a) => count(a.name, 'service') >= 1).map((a) => a.name).sort());
});

labTest('ssh', 'jobs: without root the per-user crontabs and at jobs are named unreadable; the services are read all the same', async (t, info) => {
  const dir = tempDir(t);
  const alice = info.credentials.alice!;
  await ok(t, dir, ['creds', 'add', '--name', 'alice', '--username', alice.username, '--password-stdin', '--scope', info.address], `${alice.password}\n`);
  const scan = jsonLines(await ok(t, dir, ['scan', info.address, '--ports', '22', '--creds', 'alice', '--format', 'jsonl']))[0] as { enumerations: Array<{ notes: string[] }> };
  t.true(scan.enumerations[0]!.notes.some((n) => /^per-user crontabs and at jobs were not all readable \(needs root\): .*\/var\/spool\/cron\/crontabs/.test(n)), scan.enumerations[0]!.notes.join('\n'));
  const shown = JSON.parse(await ok(t, dir, ['assets', 'show', info.address, '--format', 'json'])) as { enumerations: Array<{ facts: Record<string, { value?: { entries: Entry[] } }> }> };
  const entries = shown.enumerations[0]!.facts.dependencies!.value!.entries;
  for (const unit of truthOf<Truth>(info).runs.units) t.true(entries.some((e) => e.name === unit), unit);
  t.false(entries.some((e) => e.kind === 'at'));
});

labTest('ssh', 'jobs: the cron job\'s secret is in no output and not in the database', async (t, info) => {
  const { dir } = await adminScan(t, info);
  const secret = truthOf<Truth>(info).runs.cronSecret;
  await ok(t, dir, ['assets', 'show', info.address, '--evidence']);
  for (const text of [...outputs, readFileSync(join(dir, 's.db')).toString('latin1')]) t.false(text.includes(secret), 'the secret appeared');
});
