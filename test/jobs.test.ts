/**
 * Discovery jobs on the embedded SQLite store, with real worker processes: bad definitions refused with nothing
 * written, a job every 5 s run again and again, and a worker killed with -9 in the middle of a run whose run another
 * worker resumes at its first unit not done, the final results equal to the estate's ground truth (the addresses
 * this test listens on) with no duplicate rows. Listeners on 127.108.0.0/16 only.
 */
import test, { type ExecutionContext } from 'ava';
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dirEnv, fileState, runCli, tempDir } from './helpers/cli.js';
import { listen, show, stop, until, worker } from './helpers/jobs.js';

const PORT = 18_081;

function openPorts(db: string, scanId: number): { hosts: string[]; rows: number; distinct: number } {
  const d = new Database(db, { readonly: true });
  try {
    const rows = d.prepare(`SELECT a.address FROM scan_ports p JOIN assets a ON a.id = p.asset_id WHERE p.scan_id = ? AND p.state = 'open'`).all(scanId) as Array<{ address: string }>;
    const all = (d.prepare('SELECT count(*) AS n, count(DISTINCT asset_id || \'/\' || port) AS d FROM scan_ports WHERE scan_id = ?').get(scanId)) as { n: number; d: number };
    return { hosts: rows.map((r) => r.address).sort(), rows: all.n, distinct: all.d };
  } finally {
    d.close();
  }
}

test('jobs add refuses bad input with exit 2, naming it, and writes nothing', async (t) => {
  const dir = tempDir(t);
  const env = dirEnv(dir);
  const ok = await runCli(['jobs', 'add', 'first', '--targets', '127.108.0.1', '-p', String(PORT)], { env });
  t.is(ok.code, 0, ok.stderr);
  const before = fileState(env.SURVEYOR_DB!);
  const cases: Array<[string[], RegExp]> = [
    [['--cron', '61 * * * *'], /bad --cron "61 \* \* \* \*": .*0-59/],
    [['--cron', '* * * *'], /bad --cron .*five fields/],
    [['--cron', '0 2 * * *', '--every', '1h'], /--cron or --every, not both/],
    [['--every', '1s'], /bad --every: at least 5s/],
    [['--workgroup', 'nowhere'], /no workgroup "nowhere"/],
    [['--creds', 'missing'], /no credential "missing"/],
    [['--apply-rules', 'always'], /bad --apply-rules "always"/],
  ];
  for (const [extra, message] of cases) {
    const r = await runCli(['jobs', 'add', 'second', '--targets', '127.108.0.1', ...extra], { env });
    t.is(r.code, 2, `${extra.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, message);
  }
  for (const [args, message] of [
    [['jobs', 'add', 'first', '--targets', '127.108.0.1'], /job "first" exists already/],
    [['jobs', 'add', 'bad', '--targets', '127.108.0.0/33'], /127\.108\.0\.0\/33/],
    [['jobs', 'add', 'bad name', '--targets', '127.108.0.1'], /bad job name "bad name"/],
    [['jobs', 'add', 'none'], /give --targets/],
    [['jobs', 'run', 'nosuch'], /no job "nosuch"/],
  ] as Array<[string[], RegExp]>) {
    const r = await runCli(args, { env });
    t.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, message);
  }
  t.is(fileState(env.SURVEYOR_DB!), before, 'the database is untouched');
});

test('a job every 5 s runs on time, again and again, each run finding exactly the listening hosts', async (t) => {
  const truth = ['127.108.0.3', '127.108.0.9'];
  await listen(t, truth, PORT);
  const env = dirEnv(tempDir(t));
  const add = await runCli(['jobs', 'add', 'often', '--targets', '127.108.0.0/28', '-p', String(PORT), '--every', '5s'], { env });
  t.is(add.code, 0, add.stderr);
  const w = worker(env, 'w-often');
  t.teardown(() => stop(w.child));
  const runs = await until('two completed runs', async () => {
    const r = (await show(t, env, 'often')).filter((x) => x.state === 'completed');
    return r.length >= 2 ? r : undefined;
  });
  await stop(w.child);
  t.is(w.child.exitCode, 0, w.log());
  for (const r of runs) {
    t.is(r.worker, 'w-often');
    t.like(r.progress, { hostsTotal: 16, hostsDone: 16, hostsFound: truth.length, openPorts: truth.length });
    t.deepEqual(openPorts(env.SURVEYOR_DB!, r.scanId).hosts, truth);
  }
  t.regex(w.log(), /job often: run \d+ queued \(due /, 'the schedule queued the later runs');
});

test('kill -9 of a worker mid-run: another worker resumes at the first unit not done; results equal the truth, no duplicate rows', async (t) => {
  const truth = ['127.108.1.5', '127.108.1.77', '127.108.1.140', '127.108.1.250'];
  await listen(t, truth, PORT);
  const env = dirEnv(tempDir(t));
  // 256 hosts in 16 units, at 40 attempts a second: about 6 s of sweep, long enough to kill the worker mid-run.
  const add = await runCli(['jobs', 'add', 'big', '--targets', '127.108.1.0/24', '-p', String(PORT), '--rate', '40', '--retries', '0'], { env });
  t.is(add.code, 0, add.stderr);
  t.is((await runCli(['jobs', 'run', 'big'], { env })).code, 0);
  const a = worker(env, 'w-a', ['--unit-hosts', '16']);
  t.teardown(() => stop(a.child, 'SIGKILL'));
  const seen: number[] = [];
  await until('three units done', async () => {
    const run = (await show(t, env, 'big'))[0];
    if (run && !seen.includes(run.unitsDone)) seen.push(run.unitsDone);
    return run && run.unitsDone >= 3 ? run : undefined;
  });
  await stop(a.child, 'SIGKILL');
  const atKill = (await show(t, env, 'big'))[0]!;
  t.true(atKill.unitsDone < 16, 'killed before the end');
  t.true(seen.length >= 2, `progress moved while the run went on (units done seen: ${seen.join(', ')})`);
  const b = worker(env, 'w-b', ['--unit-hosts', '16']);
  t.teardown(() => stop(b.child));
  const done = await until('the run completed by w-b', async () => {
    const run = (await show(t, env, 'big'))[0];
    return run?.state === 'completed' ? run : undefined;
  });
  await stop(b.child);
  t.is(done.worker, 'w-b');
  t.is(done.attempts, 2);
  t.is(done.unitsDone, 16);
  t.regex(b.log(), /taken over \(attempt 2\)/);
  const d = new Database(env.SURVEYOR_DB!, { readonly: true });
  const units = d.prepare('SELECT worker, count(*) AS n FROM job_units WHERE run_id = ? GROUP BY worker ORDER BY worker').all(done.id) as Array<{ worker: string; n: number }>;
  const scan = d.prepare('SELECT status, hosts_done FROM scans WHERE id = ?').get(done.scanId) as { status: string; hosts_done: number };
  d.close();
  t.deepEqual(units.map((u) => u.worker), ['w-a', 'w-b'], 'both workers committed units');
  t.is(units.find((u) => u.worker === 'w-a')!.n, atKill.unitsDone, 'w-b did not redo the units w-a had committed');
  t.is(scan.status, 'completed');
  const ports = openPorts(env.SURVEYOR_DB!, done.scanId);
  t.deepEqual(ports.hosts, [...truth].sort());
  t.is(ports.rows, ports.distinct, 'no duplicate rows');
  t.like(done.progress, { hostsTotal: 256, hostsDone: 256, hostsFound: truth.length, openPorts: truth.length });
});

test('a job keeps the scan options its runs need on any node: the CA files\' certificates, plaintext bind, the SNMP settings', async (t) => {
  const dir = tempDir(t);
  const env = dirEnv(dir);
  const ca = join(dir, 'ca.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=surveyor test CA', '-days', '1', '-keyout', join(dir, 'ca.key'), '-out', ca], { stdio: 'ignore' });
  const add = await runCli(['jobs', 'add', 'tls', '--targets', '127.108.2.1', '-p', String(PORT), '--ldap-ca-file', ca, '--mssql-ca-file', ca,
    '--allow-plaintext-bind', '--snmp-timeout-ms', '700', '--snmp-retries', '3', '--snmp-concurrency', '9'], { env });
  t.is(add.code, 0, add.stderr);
  const shown = await runCli(['jobs', 'show', 'tls', '--format', 'json'], { env });
  const settings = (JSON.parse(shown.stdout) as { job: { definition: { settings: Record<string, unknown> } } }).job.definition.settings;
  const pem = readFileSync(ca, 'latin1');
  t.like(settings, { ldapCaPem: pem, mssqlCaPem: pem, allowPlaintextBind: true, snmpTimeoutMs: 700, snmpRetries: 3, snmpConcurrency: 9 });
  const before = fileState(env.SURVEYOR_DB!);
  const missing = await runCli(['jobs', 'add', 'nofile', '--targets', '127.108.2.1', '--ldap-ca-file', join(dir, 'nosuch.pem')], { env });
  t.is(missing.code, 2, missing.stderr);
  t.regex(missing.stderr, /--ldap-ca-file/);
  t.is(fileState(env.SURVEYOR_DB!), before, 'nothing written');
});
