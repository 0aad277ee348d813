/**
 * Faults of rule runs and of large tables, on the synthetic estate of bench/rules.ts (25 accounts and 20 packages per
 * asset, 100 rules): every case ends with the committed results all there, no half-written run (each run's journal
 * holds exactly the changes its summary counts), `PRAGMA integrity_check` saying "ok", and the exit code and message
 * the README promises.
 *
 * - kill -9 at 12 points of `rules apply` on a 1,000-asset estate (25,000 accounts; one apply takes about 2 s):
 *   while it loads and evaluates, at random WAL sizes while it writes (the write is one transaction), and once it has
 *   committed. Afterwards the managed accounts, memberships and journal are exactly as before the run or exactly as
 *   a complete run leaves them, and the next apply of the same file ends in the complete state. The points come from
 *   a seeded PRNG: SURVEYOR_FAULT_SEED=N replays a failure's choice of points (the seed is logged; where a point
 *   lands in the run still depends on the machine).
 * - Two applies at once, an apply while another process (python3's sqlite3) holds the write lock for 10 s, and two
 *   applies queued behind that lock (both plan against the same state before either can write): every apply exits
 *   0 and the state is the complete one. Runs are serialized by the write lock and each run's changes are planned
 *   against the state it commits over, so the second of two identical applies records a run with no changes.
 * - The full default estate (10,000 assets, 250,000 accounts, 200,000 package rows; built once, about 10 s):
 *   `accounts` as table, csv and json and `report software` print every row (counts from SQL on the same file),
 *   exit 0, no RangeError. The table renderer used to spread every row into Math.max(...), which overflowed the
 *   stack between 120k and 200k rows.
 *
 * Nothing here is timed: t.timeout is a hang budget only. The file takes about 2 minutes on 2 cores (126 s here).
 */
import test, { ExecutionContext } from 'ava';
import { ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, copyFileSync, createReadStream, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { writeEstate } from '../bench/rules.js';
import { BIN, RunResult, runCli } from './helpers/cli.js';

const SMALL_ASSETS = 1_000;
const KILL_POINTS = { loading: 3, writing: 8, committed: 1 };
const LOCK_HOLD_S = 10;

// ---- estates, built once per file -----------------------------------------------------------------------------

const scratch = mkdtempSync(join(tmpdir(), 'surveyor-faults-rules-'));
test.after.always(() => rmSync(scratch, { recursive: true, force: true }));

interface Estate {
  readonly db: string;
  readonly rules: string;
}

function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
}

const estate = (name: string, assets?: number) => once(async (): Promise<Estate> => {
  const db = join(scratch, `${name}.db`);
  const rules = join(scratch, `${name}.yaml`);
  await writeEstate(db, rules, assets);
  // Closed cleanly, the WAL was checkpointed and removed: copying the main file copies the whole database.
  if (existsSync(`${db}-wal`)) throw new Error(`${db}-wal left after writeEstate`);
  return { db, rules };
});
const smallEstate = estate('small', SMALL_ASSETS);
const fullEstate = estate('full');

let copies = 0;
function freshCopy(e: Estate): string {
  const db = join(scratch, `copy-${++copies}.db`);
  copyFileSync(e.db, db);
  return db;
}

// ---- reading the database, independently of surveyor ----------------------------------------------------------

async function withDb<T>(path: string, work: (all: (sql: string) => Promise<Array<Record<string, unknown>>>) => Promise<T>): Promise<T> {
  const db = new Database(path, { fileMustExist: true });
  const all = async (sql: string) => db.prepare(sql).all() as Array<Record<string, unknown>>;
  try {
    return await work(all);
  } finally {
    db.close();
  }
}

interface Digest {
  readonly rows: number;
  readonly sha256: string;
}

/** What a rule run writes, without the times it writes: equal digests mean equal rows. */
interface RuleState {
  readonly managed: Digest;
  readonly memberships: Digest;
  readonly journal: Digest;
}

interface RunCheck {
  readonly id: number;
  readonly summary: Record<string, number>;
  /** The run's journal entries counted as the summary counts its changes. */
  readonly journal: Record<string, number>;
}

interface Inspection {
  readonly integrity: string;
  readonly state: RuleState;
  readonly runs: RunCheck[];
}

const digest = (rows: ReadonlyArray<Record<string, unknown>>): Digest => {
  const hash = createHash('sha256');
  for (const r of rows) hash.update(JSON.stringify(Object.values(r)) + '\n');
  return { rows: rows.length, sha256: hash.digest('hex') };
};

function same(a: RuleState, b: RuleState): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

const CHANGE_COUNTS = ['onboarded', 'updated', 'offboarded', 'membershipsAdded', 'membershipsRemoved'] as const;

async function inspect(path: string): Promise<Inspection> {
  return withDb(path, async (all) => {
    // First, before anything else reads the file a killed process left.
    const integrity = (await all('PRAGMA integrity_check')).map((r) => Object.values(r)[0]).join('; ');
    const state: RuleState = {
      managed: digest(await all(`SELECT account_id, workgroup, policy, change_frequency_days, change_time, rule, rule_version, run_id
        FROM managed_accounts ORDER BY account_id`)),
      memberships: digest(await all('SELECT subject, subject_id, kind, name, rule, detail, run_id FROM memberships ORDER BY subject, subject_id, kind, name')),
      journal: digest(await all('SELECT run_id, action, subject, subject_id, label, before, after FROM journal ORDER BY id')),
    };
    const counted = await all(`SELECT r.id, r.summary,
        (SELECT count(*) FROM journal j WHERE j.run_id = r.id AND j.action = 'onboard') AS onboarded,
        (SELECT count(*) FROM journal j WHERE j.run_id = r.id AND j.action = 'update') AS updated,
        (SELECT count(*) FROM journal j WHERE j.run_id = r.id AND j.action = 'offboard') AS offboarded,
        (SELECT count(*) FROM journal j WHERE j.run_id = r.id AND j.action = 'add' AND json_extract(j.after, '$.kind') <> 'notified') AS membershipsAdded,
        (SELECT count(*) FROM journal j WHERE j.run_id = r.id AND j.action = 'remove') AS membershipsRemoved
      FROM rule_runs r ORDER BY r.id`);
    const runs = counted.map((r) => ({
      id: r.id as number,
      summary: JSON.parse(r.summary as string) as Record<string, number>,
      journal: Object.fromEntries(CHANGE_COUNTS.map((k) => [k, r[k] as number])),
    }));
    return { integrity, state, runs };
  });
}

const changesOf = (summary: Record<string, number>) => Object.fromEntries(CHANGE_COUNTS.map((k) => [k, summary[k]]));
const NO_CHANGES = Object.fromEntries(CHANGE_COUNTS.map((k) => [k, 0]));

/** integrity "ok", and every run's journal holds exactly the changes its summary counts: no half-written run. */
function checkWhole(t: ExecutionContext, got: Inspection, where: string): void {
  t.is(got.integrity, 'ok', `${where}: integrity_check`);
  for (const run of got.runs) t.deepEqual(run.journal, changesOf(run.summary), `${where}: run ${run.id}'s journal against its summary`);
}

/** The last line of `rules apply`, as the README shows it, with the counts of `summary`. */
function summaryPattern(runId: number | string, s: Record<string, number>): RegExp {
  return new RegExp(`^rule run ${runId}: ${s.assets} assets, ${s.accounts} accounts, ${s.rules} rules; ${s.matched} subjects matched; `
    + `${s.onboarded} onboarded, ${s.updated} updated, ${s.membershipsAdded} memberships added, ${s.membershipsRemoved} removed, 0 notifications; `
    + `${s.excludedOverOnboard} kept out by an exclusion, ${s.retained} managed accounts no rule selects now \\(retained\\)$`);
}

const lastLine = (text: string) => text.trimEnd().split('\n').pop() ?? '';

const apply = (e: Estate, db: string, options: Parameters<typeof runCli>[1] = {}) =>
  runCli(['rules', 'apply', e.rules, '--db', db, '--limit', '0'], options);

// ---- the state before a run and after a complete one, computed once ---------------------------------------------

interface Reference {
  readonly before: RuleState;
  readonly complete: RuleState;
  readonly summary: Record<string, number>;
  /** When the reference run's WAL first grew (its write began), and the largest WAL seen: where kill points go. */
  readonly writeStartMs: number;
  readonly walBytes: number;
}

const reference = once(async (): Promise<Reference> => {
  const e = await smallEstate();
  const before = await inspect(e.db);
  if (before.integrity !== 'ok' || before.runs.length) throw new Error(`the prepared estate is not fresh: ${JSON.stringify(before)}`);
  const db = freshCopy(e);
  const started = performance.now();
  let writeStartMs = Infinity;
  let walBytes = 0;
  const poll = setInterval(() => {
    const size = walSize(db);
    if (size > 0 && writeStartMs === Infinity) writeStartMs = performance.now() - started;
    walBytes = Math.max(walBytes, size);
  }, 1);
  const r = await apply(e, db).finally(() => clearInterval(poll));
  if (r.code !== 0) throw new Error(`the reference apply failed (${r.code}): ${r.stderr}`);
  const after = await inspect(db);
  if (after.integrity !== 'ok' || after.runs.length !== 1) throw new Error(`the reference apply left ${JSON.stringify(after)}`);
  const summary = after.runs[0]!.summary;
  if (!summaryPattern(1, summary).test(lastLine(r.stdout))) throw new Error(`the reference apply said: ${lastLine(r.stdout)}`);
  return { before: before.state, complete: after.state, summary, writeStartMs, walBytes };
});

function walSize(db: string): number {
  try {
    return statSync(`${db}-wal`).size;
  } catch {
    return 0;
  }
}

// ---- 1. kill -9 -------------------------------------------------------------------------------------------------

/** mulberry32: small, seedable, and the same sequence on every platform. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

type KillPoint =
  | { readonly at: 'loading'; readonly ms: number }
  | { readonly at: 'writing'; readonly walBytes: number }
  | { readonly at: 'committed' };

const describe = (p: KillPoint) =>
  p.at === 'loading' ? `${p.ms} ms after start` : p.at === 'writing' ? `once the WAL holds ${p.walBytes} bytes` : 'at its first output (committed)';

/** Starts an apply and kills it with SIGKILL at `point`; `killed` is false when it ended before the point came. */
async function applyKilledAt(e: Estate, db: string, point: KillPoint): Promise<{ result: RunResult; killed: boolean }> {
  let child: ChildProcess | undefined;
  let killed = false;
  const kill = () => {
    if (!killed && child && child.exitCode === null && child.signalCode === null) killed = child.kill('SIGKILL');
  };
  let timer: NodeJS.Timeout | undefined;
  if (point.at === 'loading') timer = setTimeout(kill, point.ms);
  if (point.at === 'writing') timer = setInterval(() => walSize(db) >= point.walBytes && kill(), 1);
  const result = await apply(e, db, { onSpawn: (c) => (child = c), onStdout: () => point.at === 'committed' && kill() })
    .finally(() => clearInterval(timer));
  // A SIGKILL sent while the process was already on its way out finds it exiting 0: that run ended first.
  return { result, killed: killed && result.code === null };
}

test.serial('kill -9 at random points of a rule run: the state is as before or as a complete run, never between, and the next apply completes it', async (t) => {
  t.timeout(600_000, 'hang budget');
  const e = await smallEstate();
  const ref = await reference();
  const seed = Number(process.env.SURVEYOR_FAULT_SEED ?? Math.floor(Math.random() * 2 ** 32));
  const random = prng(seed);
  const points: KillPoint[] = [
    ...Array.from({ length: KILL_POINTS.loading }, () => ({ at: 'loading' as const, ms: Math.floor(random() * ref.writeStartMs) })),
    ...Array.from({ length: KILL_POINTS.writing }, () => ({ at: 'writing' as const, walBytes: 1 + Math.floor(random() * ref.walBytes * 0.95) })),
    ...Array.from({ length: KILL_POINTS.committed }, () => ({ at: 'committed' as const })),
  ];
  t.log(`seed ${seed} (SURVEYOR_FAULT_SEED=${seed} replays these points); reference run: write began ${Math.round(ref.writeStartMs)} ms in, WAL up to ${ref.walBytes} bytes`);
  t.log(`complete run: ${JSON.stringify(changesOf(ref.summary))}`);
  const outcomes: string[] = [];
  for (const [i, point] of points.entries()) {
    const where = `point ${i} (${describe(point)}, seed ${seed})`;
    const db = freshCopy(e);
    const { result, killed } = await applyKilledAt(e, db, point);
    if (!killed) t.is(result.code, 0, `${where}: ended before the point: ${result.stderr}`);

    const after = await inspect(db);
    checkWhole(t, after, `${where}, after the kill`);
    const asBefore = after.runs.length === 0 && same(after.state, ref.before);
    const asComplete = after.runs.length === 1 && same(after.state, ref.complete);
    t.true(asBefore || asComplete, `${where}: the state after the kill is neither as before nor complete: ${after.runs.length} run(s), ${JSON.stringify(after.state)}`);
    outcomes.push(`${i}: ${describe(point)}: ${killed ? 'killed' : 'ended first'}, state ${asBefore ? 'as before' : asComplete ? 'complete' : 'BROKEN'}`);

    // The same file again: it does what the killed run did not, and only that.
    const again = await apply(e, db);
    t.is(again.code, 0, `${where}: the apply after the kill: ${again.stderr}`);
    t.is(again.stderr, '', where);
    t.regex(lastLine(again.stdout), summaryPattern(after.runs.length + 1, asComplete ? { ...ref.summary, ...NO_CHANGES } : ref.summary), where);
    const final = await inspect(db);
    checkWhole(t, final, `${where}, after the next apply`);
    t.deepEqual(final.state, ref.complete, `${where}: the next apply ends in the complete state`);
    rmSync(db, { force: true });
    for (const ext of ['-wal', '-shm']) rmSync(`${db}${ext}`, { force: true });
  }
  t.log(outcomes.join('\n'));
});

// ---- 2. concurrency -----------------------------------------------------------------------------------------------

/** A python3 process that holds the write lock (BEGIN IMMEDIATE) for `seconds`, then rolls back. */
async function holdWriteLock(t: ExecutionContext, db: string, seconds: number): Promise<{ released: Promise<number | null>; events: string[] }> {
  const script = `import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute('BEGIN IMMEDIATE')
print('locked', flush=True)
time.sleep(float(sys.argv[2]))
print('releasing', flush=True)
con.execute('ROLLBACK')
`;
  const child = spawn('python3', ['-c', script, db, String(seconds)], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const events: string[] = [];
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const locked = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      for (const line of c.toString().split('\n').filter(Boolean)) {
        events.push(`holder ${line}`);
        if (line === 'locked') resolve();
      }
    });
    child.on('close', (code) => reject(new Error(`the lock holder ended (${code}) before taking the lock: ${err}`)));
  });
  const released = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  await locked;
  return { released, events };
}

/** Two identical applies on one database: the first to commit makes every change, the second records a run with none. */
async function checkTwoApplies(t: ExecutionContext, db: string, results: RunResult[]): Promise<void> {
  const ref = await reference();
  for (const r of results) {
    t.is(r.code, 0, r.stderr);
    t.is(r.stderr, '');
  }
  const lines = results.map((r) => lastLine(r.stdout)).sort((x, y) => x.localeCompare(y));
  t.regex(lines[0]!, summaryPattern(1, ref.summary));
  t.regex(lines[1]!, summaryPattern(2, { ...ref.summary, ...NO_CHANGES }));
  const got = await inspect(db);
  checkWhole(t, got, 'after two applies');
  t.deepEqual(got.runs.map((r) => r.journal), [changesOf(ref.summary), NO_CHANGES]);
  t.deepEqual(got.state, ref.complete, 'nothing lost, nothing twice');
}

test.serial('two rules apply at once on one database: both exit 0, the second records no changes, the state is complete', async (t) => {
  t.timeout(180_000, 'hang budget');
  const e = await smallEstate();
  await reference();
  const db = freshCopy(e);
  await checkTwoApplies(t, db, await Promise.all([apply(e, db), apply(e, db)]));
});

test.serial('rules apply while another process holds the write lock for 10 s: it waits, exits 0, the state is complete', async (t) => {
  t.timeout(180_000, 'hang budget');
  const e = await smallEstate();
  const ref = await reference();
  const db = freshCopy(e);
  const holder = await holdWriteLock(t, db, LOCK_HOLD_S);
  const r = await apply(e, db);
  holder.events.push('apply ended');
  t.is(await holder.released, 0, 'the lock holder rolled back and ended');
  // "releasing" is printed while the lock is still held: an apply that wrote would end after it.
  t.deepEqual(holder.events, ['holder locked', 'holder releasing', 'apply ended'], 'the apply waited for the lock');
  t.is(r.code, 0, r.stderr);
  t.is(r.stderr, '');
  t.regex(lastLine(r.stdout), summaryPattern(1, ref.summary));
  const got = await inspect(db);
  checkWhole(t, got, 'after the wait');
  t.is(got.runs.length, 1);
  t.deepEqual(got.state, ref.complete);
});

test.serial('two rules apply queued behind a held write lock (both plan against the same state): both exit 0, nothing lost or written twice', async (t) => {
  // Before runs were planned again under the lock, the second died on "UNIQUE constraint failed:
  // managed_accounts.account_id" (exit 1): it wrote a plan made against the state the first had just replaced.
  t.timeout(180_000, 'hang budget');
  const e = await smallEstate();
  await reference();
  const db = freshCopy(e);
  const holder = await holdWriteLock(t, db, LOCK_HOLD_S);
  const results = await Promise.all([apply(e, db), apply(e, db)]);
  t.is(await holder.released, 0);
  await checkTwoApplies(t, db, results);
});

// ---- 3. 250,000-row tables ---------------------------------------------------------------------------------------

/** Runs surveyor with stdout into a file (a json of 250,000 accounts is about 190 MB). */
function runToFile(args: readonly string[], out: string): Promise<{ code: number | null; stderr: string }> {
  const fd = openSync(out, 'w');
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', fd, 'pipe'] });
  closeSync(fd);
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

/** Lines of a file, and the lines `match` accepts, read in chunks. */
async function countLines(path: string, match?: (line: string) => boolean): Promise<{ lines: number; matching: number }> {
  let lines = 0;
  let matching = 0;
  let partial = '';
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const parts = (partial + (chunk as string)).split('\n');
    partial = parts.pop()!;
    lines += parts.length;
    if (match) for (const p of parts) if (match(p)) matching++;
  }
  if (partial !== '') {
    lines++;
    if (match?.(partial)) matching++;
  }
  return { lines, matching };
}

async function accountCounts(db: string): Promise<{ accounts: number; privileged: number; packages: number }> {
  return withDb(db, async (all) => {
    // The accounts the latest successful enumeration of their asset saw (what `surveyor accounts` lists), and the
    // packages of each asset's latest enumeration that listed software (what the software report lists).
    const [a] = await all(`WITH latest AS (SELECT asset_id, method, max(scan_id) AS scan_id FROM scan_enumerations WHERE status = 'success' GROUP BY asset_id, method)
      SELECT count(*) AS accounts, coalesce(sum(ac.privileged), 0) AS privileged FROM accounts ac
      LEFT JOIN latest l ON l.asset_id = ac.asset_id AND l.method = ac.method WHERE ac.last_scan_id >= coalesce(l.scan_id, 0)`);
    const [p] = await all(`WITH latest AS (SELECT asset_id, max(scan_id) AS scan_id FROM scan_enumerations
        WHERE status = 'success' AND json_extract(facts, '$.software.value') IS NOT NULL GROUP BY asset_id)
      SELECT coalesce(sum(json_array_length(e.facts, '$.software.value.packages')), 0) AS packages
      FROM scan_enumerations e JOIN latest l ON l.asset_id = e.asset_id AND l.scan_id = e.scan_id`);
    return { accounts: a!.accounts as number, privileged: a!.privileged as number, packages: p!.packages as number };
  });
}

const fullCounts = once(async () => accountCounts((await fullEstate()).db));

test.serial('surveyor accounts lists all 250,000 accounts as table, csv and json: exit 0, no RangeError', async (t) => {
  t.timeout(600_000, 'hang budget');
  const { db } = await fullEstate();
  const want = await fullCounts();
  t.log(`full estate: ${want.accounts} accounts (${want.privileged} privileged), ${want.packages} packages`);
  t.true(want.accounts > 150_000, 'past where the spread into Math.max overflowed');

  const table = join(scratch, 'accounts.table');
  const rt = await runToFile(['accounts', '--db', db], table);
  t.is(rt.code, 0, rt.stderr);
  t.is(rt.stderr, '');
  t.true(readFileSync(table, 'utf8').slice(0, 200).startsWith('ADDRESS '), 'the header comes first');
  const tableLines = await countLines(table, (line) => line.includes('  yes: '));
  t.is(tableLines.lines, 1 + want.accounts, 'the header and one line per account');
  t.is(tableLines.matching, want.privileged, 'one "yes: why" per privileged account');
  rmSync(table);

  const csv = join(scratch, 'accounts.csv');
  const rc = await runToFile(['accounts', '--db', db, '--format', 'csv'], csv);
  t.is(rc.code, 0, rc.stderr);
  t.is(rc.stderr, '');
  // address,kind,name,uid,privileged,...: no field of this estate needs quoting, so a comma splits fields.
  const csvLines = await countLines(csv, (line) => line.split(',')[4] === 'true');
  t.is(csvLines.lines, 1 + want.accounts);
  t.is(csvLines.matching, want.privileged);
  rmSync(csv);

  const json = join(scratch, 'accounts.json');
  const rj = await runToFile(['accounts', '--db', db, '--format', 'json'], json);
  t.is(rj.code, 0, rj.stderr);
  t.is(rj.stderr, '');
  const parsed = JSON.parse(readFileSync(json, 'utf8')) as { schema: number; accounts: Array<{ schema: number; privileged: boolean }> };
  rmSync(json);
  t.is(parsed.schema, 1);
  t.is(parsed.accounts.length, want.accounts);
  t.is(parsed.accounts.filter((a) => a.privileged).length, want.privileged);
  t.true(parsed.accounts.every((a) => a.schema === 1));
  await checkUnchanged(t, db);
});

test.serial('surveyor report software lists all 200,000 packages: exit 0, no RangeError', async (t) => {
  t.timeout(600_000, 'hang budget');
  const { db } = await fullEstate();
  const want = await fullCounts();
  t.true(want.packages > 150_000, 'past where the spread into Math.max overflowed');
  const out = join(scratch, 'software.table');
  const r = await runToFile(['report', 'software', '--db', db], out);
  t.is(r.code, 0, r.stderr);
  t.is(r.stderr, '');
  const head = readFileSync(out, 'utf8').slice(0, 400).split('\n');
  t.regex(head[0]!, new RegExp(`^Installed software: ${want.packages} row\\(s\\); data as of \\S+$`));
  t.is(head[1], `  installations: ${want.packages}`, 'the summary block follows the title');
  t.deepEqual(head.slice(2, 5).map((l) => /^ {2}\w+: \d+$/.test(l)), [true, true, false]);
  t.is(head[4], '');
  t.regex(head[5]!, /^PACKAGE +VERSION +ARCH +MANAGER +ASSET +ADDRESS +SCAN$/);
  t.is((await countLines(out)).lines, 6 + want.packages, 'the title, three counts, a blank line, the header and one line per package');
  rmSync(out);
  await checkUnchanged(t, db);
});

/** After the read commands: the same accounts and packages, no rule run, integrity "ok". */
async function checkUnchanged(t: ExecutionContext, db: string): Promise<void> {
  t.deepEqual(await accountCounts(db), await fullCounts());
  const got = await inspect(db);
  t.is(got.integrity, 'ok');
  t.deepEqual(got.runs, []);
}
