/**
 * Upgrade of a database made by the last release (0.1.0, commit be05f13, schema 5) to the current schema: a copy
 * of fixtures/store/release-0.1.0-schema5.db (every table of schema 5 holds rows; see fixtures/store/README.md) is
 * opened with the current openStore, and every row of every table is compared before and after, column by column,
 * as python3's sqlite3 module reads them (the ground truth does not go through surveyor's driver). The only change
 * allowed to old rows is the one the README promises: a scan the release left `running` (its process was killed
 * with SIGKILL) is marked `interrupted`, with a note. Then the current CLI reads the upgraded file.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LATEST_SCHEMA, MIGRATIONS } from '../store/migrations.js';
import { openStore } from '../store/open-store.js';
import { runCli, RunResult } from './helpers/cli.js';

/** From dist/test/ back to the source tree: the .db is not copied by tsc. */
const FIXTURE = fileURLToPath(new URL('../../fixtures/store/release-0.1.0-schema5.db', import.meta.url));
const RELEASE_SCHEMA = 5;

type Value = string | number | null;
interface Table {
  readonly columns: string[];
  readonly rows: Value[][];
}
interface Dump {
  readonly tables: Record<string, Table>;
  readonly indexes: string[];
  readonly integrity: string[];
  readonly foreignKeyViolations: unknown[];
  readonly journalMode: string;
}

/** Every table, index and row of a database, read by python3's sqlite3 (a blob would fail the JSON: there are none). */
const DUMP_PY = `
import json, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
out = {
  'tables': {},
  'indexes': [r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name")],
  'integrity': [r[0] for r in c.execute('PRAGMA integrity_check')],
  'foreignKeyViolations': [list(r) for r in c.execute('PRAGMA foreign_key_check')],
  'journalMode': c.execute('PRAGMA journal_mode').fetchone()[0],
}
for (name,) in c.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").fetchall():
    cur = c.execute('SELECT * FROM "%s"' % name.replace('"', '""'))
    out['tables'][name] = {'columns': [d[0] for d in cur.description], 'rows': [list(r) for r in cur.fetchall()]}
c.close()
print(json.dumps(out))
`;

function dump(path: string): Dump {
  return JSON.parse(execFileSync('python3', ['-c', DUMP_PY, path]).toString()) as Dump;
}

/** One query through python3's sqlite3. */
function sql<T = Value[]>(path: string, query: string): T[] {
  const out = execFileSync('python3', ['-c', 'import sqlite3,sys,json; c=sqlite3.connect(sys.argv[1]); print(json.dumps(c.execute(sys.argv[2]).fetchall()))', path, query]);
  return JSON.parse(out.toString()) as T[];
}

/** The main file only: -wal/-shm are not part of the comparison (after a clean close there are none). */
const hashOf = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** Rows as objects of the given columns, sorted, so two reads compare independently of row order. */
function rowsOf(table: Table, columns: readonly string[]): Array<Record<string, Value>> {
  const index = columns.map((c) => table.columns.indexOf(c));
  return table.rows
    .map((row) => Object.fromEntries(columns.map((c, i) => [c, index[i]! < 0 ? `<no column ${c}>` : row[index[i]!]!])))
    .sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0));
}

interface Upgrade {
  readonly db: string;
  readonly before: Dump;
  readonly after: Dump;
  readonly hashes: { readonly migrated: string; readonly reopened: string; readonly afterCli: string };
  readonly cli: Record<string, RunResult>;
}

const dir = mkdtempSync(join(tmpdir(), 'surveyor-upgrade-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const CLI_READS: Record<string, string[]> = {
  scans: ['scans', '--format', 'json'],
  assets: ['assets', '--format', 'json'],
  accounts: ['accounts', '--format', 'json'],
  unmanaged: ['report', 'unmanaged', '--format', 'json'],
  creds: ['creds', 'list', '--format', 'json'],
  hostkeys: ['hostkeys', 'list', '--format', 'json'],
  workgroups: ['workgroups', 'list', '--format', 'json'],
  runs: ['rules', 'runs', '--format', 'json'],
};

let upgraded: Promise<Upgrade> | undefined;
/** The fixture copied, read, migrated by openStore, opened again, read again, then read by the CLI (once, shared). */
function upgrade(): Promise<Upgrade> {
  upgraded ??= (async () => {
    const db = join(dir, 'release.db');
    copyFileSync(FIXTURE, db);
    const before = dump(db);
    await (await openStore(db)).close();
    const migrated = hashOf(db);
    await (await openStore(db)).close();
    const reopened = hashOf(db);
    const after = dump(db);
    const cli: Record<string, RunResult> = {};
    for (const [name, args] of Object.entries(CLI_READS)) cli[name] = await runCli([...args, '--db', db]);
    return { db, before, after, hashes: { migrated, reopened, afterCli: hashOf(db) }, cli };
  })();
  return upgraded;
}

test('the fixture is a self-contained schema-5 database with rows in every table', (t) => {
  t.false(existsSync(`${FIXTURE}-wal`), 'no WAL beside the committed file');
  t.false(existsSync(`${FIXTURE}-shm`), 'no shared-memory file beside the committed file');
  const copy = join(dir, 'fixture-as-committed.db');
  copyFileSync(FIXTURE, copy);
  const fixture = dump(copy);
  t.deepEqual(fixture.integrity, ['ok']);
  t.deepEqual(fixture.tables.schema_migrations!.rows.map((r) => r[0]), [1, 2, 3, 4, 5]);
  t.true(RELEASE_SCHEMA < LATEST_SCHEMA, 'the fixture is older than the current schema');
  for (const [name, table] of Object.entries(fixture.tables)) t.true(table.rows.length > 0, `${name} has rows`);
  t.true(Object.keys(fixture.tables).length >= 17, 'schema 5 has 17 tables of its own and schema_migrations');
});

test('schema_migrations holds versions 1..LATEST_SCHEMA; the release\'s own rows are untouched', async (t) => {
  const { before, after } = await upgrade();
  t.deepEqual(before.tables.schema_migrations!.rows.map((r) => r[0]), [1, 2, 3, 4, 5]);
  const versions = after.tables.schema_migrations!.rows.map((r) => r[0]).sort((a, b) => Number(a) - Number(b));
  t.deepEqual(versions, Array.from({ length: LATEST_SCHEMA }, (_, i) => i + 1));
  t.deepEqual(versions, MIGRATIONS.map((m) => m.version));
  const names = Object.fromEntries(after.tables.schema_migrations!.rows.map((r) => [r[0], r[1]]));
  for (const m of MIGRATIONS.filter((m) => m.version > RELEASE_SCHEMA)) t.is(names[m.version], m.name);
  t.deepEqual(after.tables.schema_migrations!.rows.filter((r) => Number(r[0]) <= RELEASE_SCHEMA), before.tables.schema_migrations!.rows,
    'versions 1-5 keep the names and times the release recorded');
});

test('every table keeps every row, column by column; only new columns are added', async (t) => {
  const { before, after } = await upgrade();
  for (const [name, old] of Object.entries(before.tables)) {
    const table = after.tables[name];
    if (!table) {
      t.fail(`table ${name} is gone`);
      continue;
    }
    // schema_migrations gains the rows of the new versions (checked above); the release's rows are compared here.
    const now = name === 'schema_migrations' ? { ...table, rows: table.rows.filter((r) => Number(r[0]) <= RELEASE_SCHEMA) } : table;
    t.deepEqual(old.columns.filter((c) => !now.columns.includes(c)), [], `${name}: no column dropped or renamed`);
    t.is(now.rows.length, old.rows.length, `${name}: as many rows`);
    let expected = old;
    if (name === 'scans') {
      // The one promised change: a scan left running by the release's killed process is interrupted, finished at
      // its start time (it has no heartbeat to go by), keeping what it committed.
      const [status, started, finished] = ['status', 'started_at', 'finished_at'].map((c) => old.columns.indexOf(c));
      expected = {
        columns: old.columns,
        rows: old.rows.map((r) => (r[status!] !== 'running' ? r : r.map((v, i) => (i === status ? 'interrupted' : i === finished ? r[started!]! : v)))),
      };
    }
    t.deepEqual(rowsOf(now, old.columns), rowsOf(expected, old.columns), `${name}: every row kept in the columns it had`);
  }
  const added = after.tables.scans!.columns.filter((c) => !before.tables.scans!.columns.includes(c));
  t.deepEqual(added, ['owner', 'heartbeat_at', 'note', 'swept'], 'migration 6 adds these columns to scans');
  for (const [name, table] of Object.entries(after.tables)) {
    if (name !== 'scans') t.deepEqual(table.columns, before.tables[name]?.columns, `${name}: same columns`);
  }
});

test('the upgraded database is intact: integrity_check ok, no foreign key violation, every index kept, still WAL', async (t) => {
  const { before, after } = await upgrade();
  t.deepEqual(after.integrity, ['ok']);
  t.deepEqual(after.foreignKeyViolations, []);
  t.deepEqual(before.foreignKeyViolations, [], 'the release left none either');
  t.deepEqual(before.indexes.filter((i) => !after.indexes.includes(i)), [], 'no index dropped');
  t.is(before.journalMode, 'wal', 'the release made a WAL database');
  t.is(after.journalMode, 'wal');
});

test('old scans keep their status; the scan the release left running is now interrupted with a note', async (t) => {
  const { before, after, cli } = await upgrade();
  const oldStatus = new Map(before.tables.scans!.rows.map((r) => [r[0] as number, r[before.tables.scans!.columns.indexOf('status')] as string]));
  t.true([...oldStatus.values()].includes('running'), 'the fixture has a scan left running (kill -9)');
  t.true([...oldStatus.values()].includes('interrupted'), 'the fixture has an interrupted scan (SIGINT)');
  t.is(cli.scans!.code, 0, cli.scans!.stderr);
  const listed = (JSON.parse(cli.scans!.stdout) as { scans: Array<{ id: number; status: string; note: string | null; finishedAt: string | null }> }).scans;
  t.deepEqual(listed.map((s) => s.id).sort((a, b) => a - b), [...oldStatus.keys()].sort((a, b) => a - b), 'every old scan listed');
  for (const scan of listed) {
    const was = oldStatus.get(scan.id);
    if (was === 'running') {
      t.is(scan.status, 'interrupted', `scan ${scan.id}`);
      t.regex(scan.note ?? '', /^interrupted: left running by an earlier version of surveyor; what it committed is kept$/);
      t.truthy(scan.finishedAt);
    } else {
      t.is(scan.status, was!, `scan ${scan.id} keeps its status`);
      t.is(scan.note, null, `scan ${scan.id} has no note`);
    }
  }
  const notes = after.tables.scans!.columns.indexOf('note');
  t.is(after.tables.scans!.rows.filter((r) => r[notes] !== null).length, [...oldStatus.values()].filter((s) => s === 'running').length);
});

test('old scans that did not complete count as covering nothing: a diff against them calls no host gone', async (t) => {
  const { db, after } = await upgrade();
  const col = (name: string) => after.tables.scans!.columns.indexOf(name);
  const unfinished = after.tables.scans!.rows.filter((r) => r[col('status')] !== 'completed' && r[col('kind')] === 'network');
  t.true(unfinished.length >= 2, 'the fixture has network scans that did not complete');
  for (const r of unfinished) t.is(r[col('swept')], '[]', `scan ${String(r[0])}: no coverage was kept by the release`);
  for (const r of after.tables.scans!.rows.filter((x) => x[col('status')] === 'completed')) t.is(r[col('swept')], null);
  const completed = after.tables.scans!.rows.filter((r) => r[col('status')] === 'completed' && r[col('kind')] === 'network').map((r) => r[0] as number);
  for (const to of unfinished.map((r) => r[0] as number)) {
    const from = completed.filter((id) => id < to).at(-1);
    if (from === undefined) continue;
    const diff = await runCli(['assets', 'diff', '--from', String(from), '--to', String(to), '--format', 'json', '--db', db]);
    t.is(diff.code, 0, diff.stderr);
    const gone = (JSON.parse(diff.stdout) as { changes: Array<{ kind: string }> }).changes.filter((c) => c.kind === 'host-gone' || c.kind === 'port-closed');
    t.deepEqual(gone, [], `diff ${from} -> ${to}`);
  }
});

test('the CLI reads the upgraded database: assets, accounts, unmanaged report and more, counts from SQL', async (t) => {
  const { db, cli } = await upgrade();
  for (const [name, result] of Object.entries(cli)) t.is(result.code, 0, `${name}: ${result.stderr}`);
  const json = (name: string) => JSON.parse(cli[name]!.stdout) as Record<string, unknown[]>;
  const count = (query: string) => sql<[number]>(db, query)[0]![0];

  const assets = json('assets').assets as Array<{ address: string }>;
  t.deepEqual(assets.map((a) => a.address).sort(), sql<[string]>(db, 'SELECT address FROM assets').map((r) => r[0]).sort());

  const accounts = json('accounts').accounts as Array<{ id: number }>;
  t.is(accounts.length, count('SELECT count(*) FROM accounts'));
  t.deepEqual(accounts.map((a) => a.id).sort((a, b) => a - b), sql<[number]>(db, 'SELECT id FROM accounts ORDER BY id').map((r) => r[0]));

  // Unmanaged: privileged accounts no workgroup manages (an excluded one is listed, with the rule that excludes it).
  const unmanaged = json('unmanaged').rows as Array<{ address: string; account: string; kind: string }>;
  const expected = sql<[string, string, string]>(db,
    `SELECT a.address, ac.name, ac.kind FROM accounts ac JOIN assets a ON a.id = ac.asset_id
     WHERE ac.privileged = 1 AND ac.id NOT IN (SELECT account_id FROM managed_accounts)`);
  t.true(expected.length > 0);
  const key = (r: readonly string[]) => r.join(' ');
  t.deepEqual(unmanaged.map((r) => key([r.address, r.account, r.kind])).sort(), expected.map(key).sort());

  t.is((json('creds').credentials ?? []).length, count('SELECT count(*) FROM credentials'));
  t.is((json('hostkeys').hostKeys ?? []).length, count('SELECT count(*) FROM host_keys'));
  t.is((json('workgroups').workgroups ?? []).length, count('SELECT count(*) FROM workgroups'));
  t.is((json('runs').runs ?? []).length, count('SELECT count(*) FROM rule_runs'));
});

test('opening the upgraded database again changes nothing, and neither do the CLI reads', async (t) => {
  const { db, hashes } = await upgrade();
  t.is(hashes.reopened, hashes.migrated, 'a second open leaves the file byte for byte');
  t.is(hashes.afterCli, hashes.migrated, 'reading commands leave the file byte for byte');
  t.false(existsSync(`${db}-wal`) && readFileSync(`${db}-wal`).length > 0, 'no WAL content left after the last close');
});
