/**
 * Faults around a scan and the store: kill -9 at random points, signals (once, twice, SIGHUP, SIGTERM), a closed
 * pipe, another process holding the write lock, a full disk, read-only and damaged databases, --output naming the
 * database, files that are not surveyor's, huge tables and oversized input. Every case ends as the README
 * promises: the exit code and message, no committed result lost, no scan left `running`, and the database
 * passing `PRAGMA integrity_check`, read by python3's sqlite3 module (not by surveyor's own driver).
 *
 * The estates are listeners held by hold.py on 127.88.x.x (kernel-completed handshakes that never speak), so a
 * fingerprint or an SSH enumeration of them waits until its timeout: that is how the cases catch a scan while it
 * fingerprints or enumerates. Timeouts here are budgets for hangs, never measurements.
 */
import test, { ExecutionContext } from 'ava';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEstateProcess, type EstateProcess } from '../fixtures/estate/process.js';
import { prng } from '../fixtures/estate/plan.js';
import { BIN, fileState, jsonLines, runCli, RunResult, tempDir } from './helpers/cli.js';
import { rootTest } from './helpers/gate.js';

const KEY = 'ab'.repeat(32);

/** One query through python3's sqlite3: the ground truth does not go through surveyor's driver. */
function sql<T = unknown[]>(db: string, query: string): T[] {
  const out = execFileSync('python3', ['-c', 'import sqlite3,sys,json; c=sqlite3.connect(sys.argv[1]); print(json.dumps(c.execute(sys.argv[2]).fetchall()))', db, query]);
  return JSON.parse(out.toString()) as T[];
}

const cli = (db: string, args: string[], options: Parameters<typeof runCli>[1] = {}): Promise<RunResult> =>
  runCli([...args, '--db', db], { ...options, env: { SURVEYOR_KEY: KEY, ...options.env } });

/** The end state every case must reach: integrity ok, and after any command opens the store, no scan running. */
async function consistent(t: ExecutionContext, db: string, what: string): Promise<Array<{ id: number; status: string; note: string | null }>> {
  t.deepEqual(sql(db, 'PRAGMA integrity_check'), [['ok']], `${what}: integrity_check`);
  const r = await cli(db, ['scans', '--format', 'json']);
  t.is(r.code, 0, `${what}: ${r.stderr}`);
  const scans = (JSON.parse(r.stdout) as { scans: Array<{ id: number; status: string; note: string | null }> }).scans;
  t.deepEqual(scans.filter((s) => s.status === 'running').map((s) => s.id), [], `${what}: a scan is left running`);
  return scans;
}

/** Open ports stored for one scan, as "address:port", from the database itself. */
function storedPorts(db: string, scanId: number): string[] {
  return sql<[string, number]>(db, `SELECT a.address, p.port FROM scan_ports p JOIN assets a ON a.id = p.asset_id WHERE p.scan_id = ${scanId} AND p.state = 'open'`)
    .map(([a, p]) => `${a}:${p}`).sort();
}

function truthPorts(estate: EstateProcess): Set<string> {
  return new Set(Object.entries(estate.plan.open).flatMap(([a, ports]) => ports.map((p) => `${a}:${p}`)));
}

async function estate(t: ExecutionContext, cidr: string, seed: number, ports?: number[]): Promise<EstateProcess> {
  const e = await startEstateProcess({ cidr, seed, density: 0.05, ports });
  t.teardown(() => e.stop());
  return e;
}

/** Runs the CLI and does something to it while it runs (a signal, a kill) once `when` says so. */
function runAndAct(db: string, args: string[], act: (child: import('node:child_process').ChildProcess, stderr: () => string) => void, env: NodeJS.ProcessEnv = {}): Promise<RunResult & { signal: NodeJS.Signals | null }> {
  const child = spawn(process.execPath, [BIN, ...args, '--db', db], { env: { ...process.env, SURVEYOR_KEY: KEY, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  act(child, () => stderr);
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

/**
 * Resolves once scan `id` is recorded in `db`: its signal handlers are installed by then (in the same turn of the
 * event loop), so a signal sent after this meets the scan, not Node's default action, however busy the machine.
 */
async function scanRecorded(db: string, id: number): Promise<void> {
  for (const end = Date.now() + 120_000; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
    try {
      if (sql(db, `SELECT count(*) FROM scans WHERE id = ${id}`)[0]![0] === 1) return;
    } catch {
      // not created yet
    }
  }
  throw new Error(`scan ${id} was never recorded in ${db}`);
}

test.serial('kill -9 at 12 random points of a scan: what was committed stays, the scan ends interrupted, the database is whole', async (t) => {
  t.timeout(300_000);
  const e = await estate(t, '127.88.0.0/20', 31);
  const truth = truthPorts(e);
  const dir = tempDir(t);
  const base = join(dir, 'base.db');
  const first = await cli(base, ['scan', e.plan.cidr, '--no-fingerprint', '--no-progress']);
  t.is(first.code, 0, first.stderr);
  const baseline = storedPorts(base, 1);
  t.deepEqual(baseline, [...truth].sort(), 'the baseline scan finds the estate');
  const seed = Date.now() % 100_000;
  const random = prng(seed);
  const points = Array.from({ length: 12 }, () => Math.round(50 + random() * 3000));
  t.log(`seed ${seed}, kill points (ms): ${points.join(', ')}`);
  for (const [i, ms] of points.entries()) {
    const db = join(dir, `kill-${i}.db`);
    copyFileSync(base, db);
    const r = await runAndAct(db, ['scan', e.plan.cidr, '--no-fingerprint', '--no-progress', '--rate', '20000'], (child) => {
      setTimeout(() => child.kill('SIGKILL'), ms);
    });
    const scans = await consistent(t, db, `kill at ${ms} ms`);
    t.deepEqual(storedPorts(db, 1), baseline, `kill at ${ms} ms: the earlier scan's results are intact`);
    const second = scans.find((s) => s.id === 2);
    if (r.signal === 'SIGKILL' && second) {
      t.is(second.status, 'interrupted', `kill at ${ms} ms`);
      t.regex(second.note ?? '', /its process \d+ on .* is gone/);
    }
    for (const p of storedPorts(db, 2)) t.true(truth.has(p), `kill at ${ms} ms: stored ${p} is not an open port`);
    // A diff against the killed scan calls no host gone that it did not look at.
    if (second) {
      const diff = await cli(db, ['assets', 'diff', '--from', '1', '--to', '2', '--format', 'json']);
      t.is(diff.code, 0, diff.stderr);
      const gone = (JSON.parse(diff.stdout) as { changes: Array<{ kind: string }> }).changes.filter((c) => c.kind === 'host-gone' || c.kind === 'port-closed');
      t.deepEqual(gone, [], `kill at ${ms} ms: nothing closed in the estate`);
    }
  }
});

test.serial('SIGINT, SIGTERM and SIGHUP during the sweep: exit 130, the scan interrupted with its reason, every printed host stored, no false host-gone', async (t) => {
  t.timeout(180_000);
  const e = await estate(t, '127.88.16.0/20', 32);
  const truth = truthPorts(e);
  const dir = tempDir(t);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const db = join(dir, `${signal}.db`);
    const first = await cli(db, ['scan', e.plan.cidr, '--no-fingerprint', '--no-progress']);
    t.is(first.code, 0, first.stderr);
    const r = await runAndAct(db, ['scan', e.plan.cidr, '--no-fingerprint', '--no-progress', '--rate', '5000', '--format', 'jsonl'], (child) => {
      child.stdout!.once('data', () => setTimeout(() => child.kill(signal), 200));
    });
    t.is(r.code, 130, `${signal}: ${r.stderr}`);
    t.regex(r.stderr, new RegExp(`${signal}: stopping`));
    t.notRegex(r.stderr, /unexpected failure|at .*\.js:\d+/);
    const scans = await consistent(t, db, signal);
    t.like(scans.find((s) => s.id === 2), { status: 'interrupted', note: signal });
    const printed = jsonLines(r.stdout).flatMap((o) => (o.ports as Array<{ port: number }>).map((p) => `${String(o.address)}:${p.port}`)).sort();
    t.deepEqual(storedPorts(db, 2), printed, `${signal}: what was printed is what is stored`);
    for (const p of printed) t.true(truth.has(p));
    const diff = await cli(db, ['assets', 'diff', '--from', '1', '--to', '2', '--format', 'json']);
    const gone = (JSON.parse(diff.stdout) as { changes: Array<{ kind: string }> }).changes.filter((c) => c.kind === 'host-gone' || c.kind === 'port-closed');
    t.deepEqual(gone, [], `${signal}: only what the sweep finished counts as covered`);
  }
});

test.serial('one SIGINT while fingerprinting or enumerating stops at once (exit 130, interrupted); two in a row store the waiting hosts with their ports', async (t) => {
  t.timeout(180_000);
  // Port 22 listeners that never speak: fingerprint probes and SSH enumerations wait for a banner.
  const e = await estate(t, '127.88.32.0/26', 33, [22]);
  const truth = [...truthPorts(e)].sort();
  t.true(truth.length > 0);
  const dir = tempDir(t);

  // Enumeration: one SIGINT after the sweep cancels the enumerations (their budget is 120 s) and ends the scan.
  const enumDb = join(dir, 'enum.db');
  const add = await cli(enumDb, ['creds', 'add', '--name', 'x', '--type', 'ssh', '--username', 'nobody', '--password-stdin', '--scope', '127.88.0.0/16'], { input: 'Fault-Pass-1\n' });
  t.is(add.code, 0, add.stderr);
  const once = await runAndAct(enumDb, ['scan', e.plan.cidr, '--ports', '22', '--no-fingerprint', '--creds', 'x', '--enum-timeout-ms', '120000', '--no-progress'], (child) => {
    void scanRecorded(enumDb, 1).then(() => setTimeout(() => child.kill('SIGINT'), 1000));
  });
  t.is(once.code, 130, `${once.signal} ${once.stderr}`);
  let scans = await consistent(t, enumDb, 'SIGINT while enumerating');
  t.like(scans[0], { status: 'interrupted', note: 'SIGINT' });
  t.deepEqual(storedPorts(enumDb, 1), truth, 'hosts whose enumeration was cancelled are stored with their ports');

  // Fingerprinting with a long probe budget: the first SIGINT aborts the probes, the scan ends interrupted.
  const fpDb = join(dir, 'fp.db');
  const fp = await runAndAct(fpDb, ['scan', e.plan.cidr, '--ports', '22', '--probe-timeout-ms', '100000', '--no-progress'], (child) => {
    void scanRecorded(fpDb, 1).then(() => setTimeout(() => child.kill('SIGINT'), 1000));
  });
  t.is(fp.code, 130, `fingerprinting: ${fp.signal} ${fp.stderr}`);
  scans = await consistent(t, fpDb, 'SIGINT while fingerprinting');
  t.like(scans[0], { status: 'interrupted' });
  t.deepEqual(storedPorts(fpDb, 1), truth);

  // Twice in a row (a second Ctrl-C): whenever it lands, while the scan still waits or while it writes its last
  // batch, every host is stored with what the sweep found and the scan ends interrupted, never killed halfway.
  const twiceDb = join(dir, 'twice.db');
  copyFileSync(enumDb, twiceDb); // the credential, and scan 1 as it ended
  const twice = await runAndAct(twiceDb, ['scan', e.plan.cidr, '--ports', '22', '--no-fingerprint', '--creds', 'x', '--enum-timeout-ms', '120000', '--no-progress'], (child) => {
    void scanRecorded(twiceDb, 2).then(() => setTimeout(() => {
      child.kill('SIGINT');
      setTimeout(() => child.kill('SIGINT'), 20);
    }, 1000));
  });
  t.is(twice.code, 130, `twice: ${twice.signal} ${twice.stderr}`);
  scans = await consistent(t, twiceDb, 'SIGINT twice');
  t.like(scans[1], { status: 'interrupted' });
  t.deepEqual(storedPorts(twiceDb, 2), truth, 'the hosts waiting for enumeration are stored with their ports');
});

test.serial('a closed standard output ends scan and listing commands quietly; the scan is interrupted with what it found', async (t) => {
  t.timeout(120_000);
  const e = await estate(t, '127.88.48.0/20', 34);
  const truth = truthPorts(e);
  const dir = tempDir(t);
  const db = join(dir, 's.db');
  const r = await runAndAct(db, ['scan', e.plan.cidr, '--no-fingerprint', '--no-progress', '--rate', '5000', '--format', 'jsonl'], (child) => {
    child.stdout!.once('data', () => child.stdout!.destroy()); // `| head -1`
  });
  t.is(r.code, 130, r.stderr);
  t.notRegex(r.stderr, /EPIPE|unexpected failure|at .*\.js:\d+/);
  const scans = await consistent(t, db, 'closed pipe');
  t.like(scans[0], { status: 'interrupted', note: 'standard output was closed' });
  const stored = storedPorts(db, 1);
  t.true(stored.length > 0, 'what was found before the pipe closed is stored');
  for (const p of stored) t.true(truth.has(p));
  for (const args of [['assets', '--format', 'jsonl'], ['assets'], ['scans'], ['accounts'], ['report', 'software']]) {
    const listing = await runAndAct(db, args, (child) => child.stdout!.once('data', () => child.stdout!.destroy()));
    t.true(listing.code === 0, `${args.join(' ')}: exit ${listing.code} ${listing.stderr}`);
    t.notRegex(listing.stderr, /EPIPE|unexpected failure|at .*\.js:\d+/, args.join(' '));
  }
});

test.serial('another process holding the write lock for 10 s: the scan waits and stores every batch', async (t) => {
  t.timeout(180_000);
  const e = await estate(t, '127.88.64.0/20', 35);
  const dir = tempDir(t);
  const db = join(dir, 's.db');
  const first = await cli(db, ['scan', '127.0.0.1', '--ports', '1', '--no-progress']);
  t.is(first.code, 0, first.stderr);
  const holder = spawn('python3', ['-c', 'import sqlite3,sys,time; c=sqlite3.connect(sys.argv[1], isolation_level=None); c.execute("BEGIN IMMEDIATE"); print("held", flush=True); time.sleep(10); c.execute("ROLLBACK")', db], { stdio: ['ignore', 'pipe', 'inherit'] });
  const released = new Promise((resolve) => holder.once('close', resolve));
  await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
  const r = await cli(db, ['scan', e.plan.cidr, '--no-fingerprint', '--no-progress']);
  t.is(r.code, 0, r.stderr);
  await released;
  await consistent(t, db, 'write lock held');
  t.deepEqual(storedPorts(db, 2), [...truthPorts(e)].sort(), 'no batch was dropped');
});

rootTest('a full disk: the scan stops with "the disk is full", nothing committed is lost, the scan ends interrupted', async (t) => {
  t.timeout(180_000);
  const e = await estate(t, '127.88.80.0/20', 36);
  const mount = join(tempDir(t), 'small');
  mkdirSync(mount);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mount]);
  t.teardown(() => void spawnSync('umount', ['-l', mount]));
  const db = join(mount, 's.db');
  const first = await cli(db, ['scan', '127.0.0.1', '--ports', '1', '--no-progress']);
  t.is(first.code, 0, first.stderr);
  // Leave about 100 KB: enough to open the database, far too little for a /20's results.
  const free = Number(execFileSync('df', ['--output=avail', '-B1', mount]).toString().split('\n')[1]);
  writeFileSync(join(mount, 'filler'), Buffer.alloc(Math.max(0, free - 100_000)));
  const r = await cli(db, ['scan', e.plan.cidr, '--no-fingerprint', '--no-progress', '--states', 'closed']);
  t.is(r.code, 1, r.stderr);
  t.regex(r.stderr, /the disk is full/);
  t.notRegex(r.stderr, /unexpected failure|SQLITE_FULL/);
  execFileSync('rm', [join(mount, 'filler')]);
  const scans = await consistent(t, db, 'full disk');
  t.like(scans[0], { status: 'completed' });
  t.true(['interrupted'].includes(scans[1]!.status), JSON.stringify(scans[1]));
});

test.serial('damaged, foreign and missing databases are named in words; a read command never creates one', async (t) => {
  t.timeout(120_000);
  const dir = tempDir(t);
  const db = join(dir, 's.db');
  t.is((await cli(db, ['scan', '127.0.0.1', '--ports', '1', '--no-progress'])).code, 0);

  for (const args of [['assets'], ['scans'], ['accounts'], ['report', 'unmanaged'], ['creds', 'list'], ['assets', 'show', '127.0.0.1']]) {
    const missing = join(dir, 'typo.db');
    const r = await cli(missing, args);
    t.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    t.true(r.stderr.includes(`no surveyor database at ${missing}`), r.stderr);
    t.false(existsSync(missing), `${args.join(' ')} created a database`);
  }
  const noCreds = await cli(join(dir, 'typo.db'), ['scan', '127.0.0.1', '--creds', 'nosuch']);
  t.is(noCreds.code, 2);
  t.false(existsSync(join(dir, 'typo.db')), 'scan --creds nosuch created the database');

  // Another application's database gets no tables and no WAL; a file that is not SQLite, or a folder, exits 2.
  const foreign = join(dir, 'other.db');
  execFileSync('python3', ['-c', 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("create table orders(id)"); c.commit()', foreign]);
  const foreignBefore = fileState(foreign);
  for (const args of [['scan', '127.0.0.1', '--ports', '1'], ['assets']]) {
    const r = await cli(foreign, args);
    t.is(r.code, 2, r.stderr);
    t.regex(r.stderr, /another application's SQLite database \(tables: orders\)/);
  }
  t.is(fileState(foreign), foreignBefore, 'the foreign database is untouched');
  t.deepEqual(sql(foreign, 'PRAGMA journal_mode'), [['delete']]);
  const text = join(dir, 'notes.txt');
  writeFileSync(text, 'not a database\n');
  t.regex((await cli(text, ['assets'])).stderr, /it is not a SQLite database/);
  t.is((await cli(dir, ['assets'])).code, 2);

  // A newer schema is refused before anything changes (no WAL switch, no table).
  const newer = join(dir, 'newer.db');
  execFileSync('python3', ['-c', 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("create table schema_migrations(version integer primary key, name text, applied_at text)"); c.execute("insert into schema_migrations values (999, \'x\', \'y\')"); c.commit()', newer]);
  const newerBefore = fileState(newer);
  const n = await cli(newer, ['assets']);
  t.is(n.code, 1);
  t.regex(n.stderr, /schema 999, newer than this surveyor knows/);
  t.is(fileState(newer), newerBefore);

  // Damaged: pages past the header overwritten.
  const damaged = join(dir, 'damaged.db');
  copyFileSync(db, damaged);
  const bytes = readFileSync(damaged);
  bytes.fill(0x5a, 4096, Math.min(bytes.length, 4096 * 4));
  writeFileSync(damaged, bytes);
  const d = await cli(damaged, ['assets']);
  t.is(d.code, 1, d.stderr);
  t.regex(d.stderr, /the database is damaged/);
  t.notRegex(d.stderr, /unexpected failure|SQLITE_CORRUPT:/);

});

rootTest('a database on a read-only file system: reading commands work, a scan names it read-only', async (t) => {
  t.timeout(60_000);
  const dir = tempDir(t);
  const mount = join(dir, 'ro');
  mkdirSync(mount);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mount]);
  t.teardown(() => void spawnSync('umount', ['-l', mount]));
  const ro = join(mount, 's.db');
  t.is((await cli(ro, ['scan', '127.0.0.1', '--ports', '1', '--no-progress'])).code, 0);
  const before = sql(ro, 'SELECT id, status FROM scans');
  execFileSync('mount', ['-o', 'remount,ro', mount]);
  const list = await cli(ro, ['scans', '--format', 'json']);
  t.is(list.code, 0, list.stderr);
  t.deepEqual((JSON.parse(list.stdout) as { scans: Array<{ id: number; status: string }> }).scans.map((s) => [s.id, s.status]), before);
  const w = await cli(ro, ['scan', '127.0.0.1', '--ports', '1']);
  t.is(w.code, 1, w.stderr);
  t.regex(w.stderr, /the database .* is read-only/);
  t.notRegex(w.stderr, /unexpected failure/);
});

test.serial('--output naming the database or its companions is refused and touches nothing; a refused scan leaves an earlier output as it was', async (t) => {
  t.timeout(60_000);
  const dir = tempDir(t);
  const db = join(dir, 's.db');
  t.is((await cli(db, ['scan', '127.0.0.1', '--ports', '1', '--no-progress'])).code, 0);
  const before = fileState(db);
  writeFileSync(join(dir, 'link.db'), '');
  for (const args of [
    ['scan', '127.0.0.1', '--ports', '1', '--format', 'json', '--output', db],
    ['scan', '127.0.0.1', '--ports', '1', '--output', `${db}-wal`],
    ['report', 'unmanaged', '--output', db],
    ['report', 'unmanaged', '--output', join(dir, '.', 's.db')],
  ]) {
    const r = await cli(db, args);
    t.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, /bad --output ".*": it is the database/);
    t.is(fileState(db), before, args.join(' '));
  }
  const previous = join(dir, 'prev.json');
  writeFileSync(previous, '{"kept": true}\n');
  for (const [args, env] of [[['--db', join(dir, 'nope', 'x.db')], {}], [[], { SURVEYOR_KEY: 'short' }]] as const) {
    const r = await runCli(['scan', '127.0.0.1', '--creds', 'c', '--output', previous, ...(args.length ? args : ['--db', db])], { env: { ...env } });
    t.is(r.code, 2, r.stderr);
    t.is(readFileSync(previous, 'utf8'), '{"kept": true}\n', 'the earlier output is as it was');
  }
  t.deepEqual(spawnSync('ls', [dir]).stdout.toString().split('\n').filter((f) => f.includes('.tmp-')), [], 'no temporary file left');
});

test('oversized and endless input is refused at its limit, naming it', async (t) => {
  t.timeout(60_000);
  const dir = tempDir(t);
  const db = join(dir, 's.db');
  const r = await cli(db, ['scan', '@/dev/zero']);
  t.is(r.code, 2, r.stderr);
  t.regex(r.stderr, /bad target file "\/dev\/zero": is larger than 64 MiB/);
  t.false(existsSync(db));
});

test('a scan of a /18 reporting closed ports prints every row in a table (no spread of 245,760 rows into Math.max)', async (t) => {
  t.timeout(180_000);
  const dir = tempDir(t);
  const db = join(dir, 's.db');
  const r = await cli(db, ['scan', '127.88.128.0/18', '--states', 'closed', '--no-fingerprint', '--no-progress']);
  t.is(r.code, 0, r.stderr.slice(0, 2000));
  const rows = sql<[number]>(db, "SELECT count(*) FROM scan_ports WHERE scan_id = 1 AND state = 'closed'")[0]![0];
  t.true(rows > 0);
  const lines = r.stdout.trimEnd().split('\n');
  t.is(lines.length - 1, rows, 'one table row per stored closed port');
});

test('a limit on open files too low to scan is named, and nothing is written', (t) => {
  const dir = tempDir(t);
  const db = join(dir, 's.db');
  const r = spawnSync('sh', ['-c', `ulimit -n 100 && exec "${process.execPath}" "${BIN}" scan 127.0.0.1 --db "${db}"`], { encoding: 'utf8' });
  t.is(r.status, 2, r.stderr);
  t.regex(r.stderr, /the limit on open files is 100 \(ulimit -n\): a scan needs at least \d+/);
  t.false(existsSync(db));
});
