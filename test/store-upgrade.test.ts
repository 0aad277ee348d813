/**
 * Databases made by earlier code, opened by the current openStore: each fixture of fixtures/store (see its README)
 * is copied, the copy is opened with the current openStore, and every row of every table is compared before and
 * after, column by column, as python3's sqlite3 module reads them (the ground truth does not go through surveyor's
 * driver). Then the current CLI reads the opened copy. The fixtures:
 *
 * - release-0.1.0-schema5.db: made by the last release (0.1.0, commit be05f13, schema 5). Opening it migrates it
 *   to the current schema.
 * - main-e0a5dba-schema6.db: made by main at commit e0a5dba (schema 6, written by the `sqlite3` package, before
 *   the store moved to another driver). It is at the current schema: opening it migrates nothing.
 *
 * Every table of each holds rows. The only change allowed to their rows is what openStore does to any database:
 * a scan left `running` whose process is gone (it was killed with SIGKILL) is marked `interrupted`, finished at
 * its last heartbeat (at its start when it has none), with a note saying why (store/owner.ts ownerGone,
 * store/sqlite-store.ts reapLostScans); opening the schema-5 one also adds the tables' new columns, and migration
 * 6 gives its unfinished network scans an empty coverage.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LATEST_SCHEMA, MIGRATIONS } from '../store/migrations.js';
import { openStore } from '../store/open-store.js';
import { runCli, RunResult } from './helpers/cli.js';

interface Fixture {
  /** Names the fixture in the test titles. */
  readonly key: string;
  /** The committed file (from dist/test/ back to the source tree: the .db is not copied by tsc). */
  readonly path: string;
  /** The schema it was made at. */
  readonly schema: number;
  /**
   * The columns of `scans` that the current schema has and the fixture's lacks, in the order the migrations add
   * them (no other table gains or loses a column). A new migration that adds columns changes this for both.
   */
  readonly addedScanColumns: readonly string[];
  /** Rows per table, as fixtures/store/README.md lists them: every table of the schema, none empty. */
  readonly rows: Readonly<Record<string, number>>;
}

const fixturePath = (name: string) => fileURLToPath(new URL(`../../fixtures/store/${name}`, import.meta.url));

/** Tables of schema 5 and their rows in both fixtures (the same steps made both, see the README). */
const SCHEMA5_ROWS = {
  accounts: 11, asset_hostnames: 4, assets: 5, credentials: 2, directory_computers: 3, host_keys: 2, journal: 45,
  managed_accounts: 4, memberships: 11, rule_runs: 3, rule_sets: 1, scan_enumerations: 4, scan_hosts: 12, scan_ports: 25,
  scan_services: 18, scans: 6, workgroups: 2,
};

const FIXTURES: readonly Fixture[] = [
  {
    key: 'release 0.1.0 (schema 5)',
    path: fixturePath('release-0.1.0-schema5.db'),
    schema: 5,
    addedScanColumns: ['owner', 'heartbeat_at', 'note', 'swept'],
    rows: { ...SCHEMA5_ROWS, schema_migrations: 5 },
  },
  {
    key: 'main e0a5dba (schema 6)',
    path: fixturePath('main-e0a5dba-schema6.db'),
    schema: 6,
    addedScanColumns: [],
    rows: { ...SCHEMA5_ROWS, schema_migrations: 6 },
  },
];

/** The columns migration 6 adds to scans: who runs a scan, when it last wrote, why it ended, what it covered. */
const SCHEMA6_SCAN_COLUMNS = ['owner', 'heartbeat_at', 'note', 'swept'];

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

/** A row's value in a column; null when the table has no such column (a scan of schema 5 has no owner). */
function valueOf(table: Table, row: readonly Value[], column: string): Value {
  const i = table.columns.indexOf(column);
  return i < 0 ? null : row[i]!;
}

/**
 * The notes openStore may give a scan it finds `running`, from the scan's owner and heartbeat, written out here
 * from store/owner.ts (ownerGone) and store/sqlite-store.ts (reapLostScans) rather than by calling them: no owner
 * (a scan of schema 5) is an earlier version's; an owner on this host is gone (its PID is not running, or now
 * runs another process); an owner on another host has sent no heartbeat for two minutes (a fixture's is older).
 */
function lostScanNotes(owner: Value, heartbeatAt: Value): string[] {
  const note = (why: string) => `interrupted: ${why}; what it committed is kept`;
  if (owner === null) return [note('left running by an earlier version of surveyor')];
  const { host, pid } = JSON.parse(String(owner)) as { host: string; pid: number };
  if (host === hostname()) {
    const gone = `its process ${pid} on ${host} is gone`;
    return [note(gone), note(`${gone} (the PID now belongs to another process)`)];
  }
  return [note(`no heartbeat from ${host} (process ${pid}) since ${heartbeatAt ?? 'it started'}`)];
}

/** Whether an IPv4 address lies in `first-last` ranges (or single addresses), as ScanRecord.swept holds them. */
function inRanges(address: string, ranges: readonly string[]): boolean {
  const value = (a: string) => a.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
  return ranges.some((range) => {
    const [first, last = first] = range.split('-');
    return value(first!) <= value(address) && value(address) <= value(last!);
  });
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

const upgrades = new Map<Fixture, Promise<Upgrade>>();
/** A fixture copied, read, opened by openStore, opened again, read again, then read by the CLI (once per fixture, shared). */
function upgrade(fx: Fixture): Promise<Upgrade> {
  let upgraded = upgrades.get(fx);
  if (!upgraded) {
    upgraded = (async () => {
      const db = join(dir, `schema${fx.schema}.db`);
      copyFileSync(fx.path, db);
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
    upgrades.set(fx, upgraded);
  }
  return upgraded;
}

for (const fx of FIXTURES) {
  test(`${fx.key}: the fixture is a self-contained schema-${fx.schema} database with the rows the README lists in every table`, (t) => {
    t.false(existsSync(`${fx.path}-wal`), 'no WAL beside the committed file');
    t.false(existsSync(`${fx.path}-shm`), 'no shared-memory file beside the committed file');
    const copy = join(dir, `fixture-as-committed-schema${fx.schema}.db`);
    copyFileSync(fx.path, copy);
    const fixture = dump(copy);
    t.deepEqual(fixture.integrity, ['ok']);
    t.is(fixture.journalMode, 'wal');
    t.deepEqual(fixture.tables.schema_migrations!.rows.map((r) => r[0]), Array.from({ length: fx.schema }, (_, i) => i + 1));
    t.true(fx.schema <= LATEST_SCHEMA, 'the fixture is not newer than the current schema');
    const counts = Object.fromEntries(Object.entries(fixture.tables).map(([name, table]) => [name, table.rows.length]));
    t.deepEqual(counts, fx.rows, 'every table, with the rows fixtures/store/README.md lists');
    for (const [name, n] of Object.entries(counts)) t.true(n > 0, `${name} has rows`);

    const scans = fixture.tables.scans!;
    const status = (r: Value[]) => valueOf(scans, r, 'status');
    t.true(scans.rows.some((r) => status(r) === 'running'), 'a scan left running (its process killed with SIGKILL)');
    t.true(scans.rows.some((r) => status(r) === 'interrupted'), 'a scan interrupted by SIGINT');
    const schema6 = SCHEMA6_SCAN_COLUMNS.filter((c) => scans.columns.includes(c));
    t.deepEqual(schema6, fx.schema >= 6 ? SCHEMA6_SCAN_COLUMNS : []);
    for (const column of schema6) t.true(scans.rows.some((r) => valueOf(scans, r, column) !== null), `scans.${column} holds a value`);
    if (fx.schema >= 6) {
      // The states only schema 6 can hold: a running scan with an owner whose process is gone, with the heartbeat
      // and coverage it wrote; an interrupted one with a note and the ranges it swept.
      const running = scans.rows.filter((r) => status(r) === 'running');
      for (const r of running) {
        t.truthy(valueOf(scans, r, 'owner'), `running scan ${String(r[0])} has an owner`);
        t.truthy(valueOf(scans, r, 'heartbeat_at'), `running scan ${String(r[0])} has a heartbeat`);
        t.true((JSON.parse(String(valueOf(scans, r, 'swept') ?? '[]')) as string[]).length > 0, `running scan ${String(r[0])} wrote its coverage`);
      }
      const interrupted = scans.rows.filter((r) => status(r) === 'interrupted');
      t.true(interrupted.some((r) => valueOf(scans, r, 'note') === 'SIGINT' && (JSON.parse(String(valueOf(scans, r, 'swept') ?? '[]')) as string[]).length > 0),
        'the SIGINT scan has its note and swept ranges');
    }
  });

  test(`${fx.key}: schema_migrations holds versions 1..LATEST_SCHEMA; the fixture's own rows are untouched`, async (t) => {
    const { before, after } = await upgrade(fx);
    t.deepEqual(before.tables.schema_migrations!.rows.map((r) => r[0]), Array.from({ length: fx.schema }, (_, i) => i + 1));
    const versions = after.tables.schema_migrations!.rows.map((r) => r[0]).sort((a, b) => Number(a) - Number(b));
    t.deepEqual(versions, Array.from({ length: LATEST_SCHEMA }, (_, i) => i + 1));
    t.deepEqual(versions, MIGRATIONS.map((m) => m.version));
    const names = Object.fromEntries(after.tables.schema_migrations!.rows.map((r) => [r[0], r[1]]));
    for (const m of MIGRATIONS.filter((m) => m.version > fx.schema)) t.is(names[m.version], m.name);
    t.deepEqual(after.tables.schema_migrations!.rows.filter((r) => Number(r[0]) <= fx.schema), before.tables.schema_migrations!.rows,
      `versions 1-${fx.schema} keep the names and times the fixture recorded`);
  });

  test(`${fx.key}: every table keeps every row, column by column; only new columns are added`, async (t) => {
    const { before, after } = await upgrade(fx);
    for (const [name, old] of Object.entries(before.tables)) {
      const table = after.tables[name];
      if (!table) {
        t.fail(`table ${name} is gone`);
        continue;
      }
      // schema_migrations gains the rows of the new versions (checked above); the fixture's rows are compared here.
      const now = name === 'schema_migrations' ? { ...table, rows: table.rows.filter((r) => Number(r[0]) <= fx.schema) } : table;
      t.deepEqual(old.columns.filter((c) => !now.columns.includes(c)), [], `${name}: no column dropped or renamed`);
      t.is(now.rows.length, old.rows.length, `${name}: as many rows`);
      let expected = old;
      if (name === 'scans') {
        // The one change openStore makes to rows: a scan left running whose process is gone is interrupted, finished
        // at its last heartbeat (at its start without one), with a note (in the note column, where the fixture has
        // one), keeping what it committed.
        const at = (c: string) => old.columns.indexOf(c);
        const noteNow = new Map(now.rows.map((r) => [r[0], valueOf(now, r, 'note')]));
        expected = {
          columns: old.columns,
          rows: old.rows.map((r) => {
            if (r[at('status')] !== 'running') return r;
            const notes = lostScanNotes(valueOf(old, r, 'owner'), valueOf(old, r, 'heartbeat_at'));
            const note = noteNow.get(r[0]!) ?? null;
            const changed: Record<string, Value> = {
              status: 'interrupted',
              finished_at: valueOf(old, r, 'heartbeat_at') ?? r[at('started_at')]!,
              note: typeof note === 'string' && notes.includes(note) ? note : `one of: ${notes.join(' | ')}`,
            };
            return r.map((v, i) => (old.columns[i]! in changed ? changed[old.columns[i]!]! : v));
          }),
        };
      }
      t.deepEqual(rowsOf(now, old.columns), rowsOf(expected, old.columns), `${name}: every row kept in the columns it had`);
    }
    const added = after.tables.scans!.columns.filter((c) => !before.tables.scans!.columns.includes(c));
    t.deepEqual(added, fx.addedScanColumns, 'the columns the migrations after the fixture\'s schema add to scans');
    // Schema 7 adds the job tables, schema 8 the roles table and schema 9 the web page's users, sessions, login
    // attempts and journal, all empty; no other table is added or dropped.
    const jobTables = ['job_runs', 'job_units', 'jobs', 'login_attempts', 'roles', 'sessions', 'users', 'web_journal', 'workers'];
    t.deepEqual(Object.keys(after.tables).sort(), [...Object.keys(before.tables), ...jobTables].sort(), 'only the job, role and web tables added, none dropped');
    for (const name of jobTables) t.is(after.tables[name]!.rows.length, 0, `${name}: new and empty`);
    for (const [name, table] of Object.entries(after.tables)) {
      if (name !== 'scans' && !jobTables.includes(name)) t.deepEqual(table.columns, before.tables[name]?.columns, `${name}: same columns`);
    }
  });

  test(`${fx.key}: the opened database is intact: integrity_check ok, no foreign key violation, every index kept, still WAL`, async (t) => {
    const { before, after } = await upgrade(fx);
    t.deepEqual(after.integrity, ['ok']);
    t.deepEqual(after.foreignKeyViolations, []);
    t.deepEqual(before.foreignKeyViolations, [], 'the fixture has none either');
    t.deepEqual(before.indexes.filter((i) => !after.indexes.includes(i)), [], 'no index dropped');
    t.is(before.journalMode, 'wal', 'the fixture is a WAL database');
    t.is(after.journalMode, 'wal');
  });

  test(`${fx.key}: scans keep their status and note; the scan left running by a process that is gone is now interrupted with a note`, async (t) => {
    const { before, after, cli } = await upgrade(fx);
    const old = before.tables.scans!;
    const was = new Map(old.rows.map((r) => [r[0] as number, r]));
    t.true(old.rows.some((r) => valueOf(old, r, 'status') === 'running'), 'the fixture has a scan left running (kill -9)');
    t.true(old.rows.some((r) => valueOf(old, r, 'status') === 'interrupted'), 'the fixture has an interrupted scan (SIGINT)');
    t.is(cli.scans!.code, 0, cli.scans!.stderr);
    type Listed = { id: number; status: Value; note: Value; finishedAt: Value; heartbeatAt: Value; owner: unknown; swept: string[] | null };
    const listed = (JSON.parse(cli.scans!.stdout) as { scans: Listed[] }).scans;
    t.deepEqual(listed.map((s) => s.id).sort((a, b) => a - b), [...was.keys()].sort((a, b) => a - b), 'every scan listed');
    const now = after.tables.scans!;
    const stored = new Map(now.rows.map((r) => [r[0] as number, r]));
    for (const scan of listed) {
      const row = was.get(scan.id)!;
      if (valueOf(old, row, 'status') === 'running') {
        t.is(scan.status, 'interrupted', `scan ${scan.id}`);
        t.true(lostScanNotes(valueOf(old, row, 'owner'), valueOf(old, row, 'heartbeat_at')).includes(String(scan.note)), `scan ${scan.id}: note ${String(scan.note)}`);
        t.is(scan.finishedAt, valueOf(old, row, 'heartbeat_at') ?? valueOf(old, row, 'started_at'), `scan ${scan.id}: finished at its last heartbeat (at its start without one)`);
      } else {
        t.is(scan.status, valueOf(old, row, 'status'), `scan ${scan.id} keeps its status`);
        t.is(scan.note, valueOf(old, row, 'note'), `scan ${scan.id} keeps its note (none before schema 6)`);
      }
      // The CLI reads the schema-6 columns as stored.
      const after6 = stored.get(scan.id)!;
      const parsed = (column: string) => {
        const v = valueOf(now, after6, column);
        return v === null ? null : JSON.parse(String(v)) as unknown;
      };
      t.deepEqual(scan.owner, parsed('owner'), `scan ${scan.id}: owner`);
      t.is(scan.heartbeatAt, valueOf(now, after6, 'heartbeat_at'), `scan ${scan.id}: heartbeat`);
      t.deepEqual(scan.swept, parsed('swept'), `scan ${scan.id}: swept`);
    }
    const notes = (table: Table) => table.rows.filter((r) => valueOf(table, r, 'note') !== null).length;
    t.is(notes(now), notes(old) + old.rows.filter((r) => valueOf(old, r, 'status') === 'running').length, 'one note more per scan left running');
  });

  test(`${fx.key}: scans that did not complete cover what they swept (nothing, before schema 6): a diff against them calls gone only what they swept`, async (t) => {
    const { db, before, after } = await upgrade(fx);
    const scans = after.tables.scans!;
    const col = (name: string) => scans.columns.indexOf(name);
    const sweptBefore = new Map(before.tables.scans!.rows.map((r) => [r[0], valueOf(before.tables.scans!, r, 'swept')]));
    const unfinished = scans.rows.filter((r) => r[col('status')] !== 'completed' && r[col('kind')] === 'network');
    t.true(unfinished.length >= 2, 'the fixture has network scans that did not complete');
    for (const r of unfinished) {
      // Schema 5 kept no coverage (migration 6 writes an empty one); schema 6 keeps the ranges the scan wrote.
      const expected = fx.schema < 6 ? '[]' : sweptBefore.get(r[0]);
      t.is(r[col('swept')], expected, `scan ${String(r[0])}: coverage`);
    }
    if (fx.schema >= 6) t.true(unfinished.some((r) => (JSON.parse(String(r[col('swept')])) as string[]).length > 0), 'some coverage to diff against');
    for (const r of scans.rows.filter((x) => x[col('status')] === 'completed')) t.is(r[col('swept')], null);
    const completed = scans.rows.filter((r) => r[col('status')] === 'completed' && r[col('kind')] === 'network').map((r) => r[0] as number);
    let diffs = 0;
    for (const to of unfinished.map((r) => r[0] as number)) {
      const from = completed.filter((id) => id < to).at(-1);
      if (from === undefined) continue;
      const diff = await runCli(['assets', 'diff', '--from', String(from), '--to', String(to), '--format', 'json', '--db', db]);
      t.is(diff.code, 0, diff.stderr);
      // Gone or closed only where the later scan looked: inside its swept ranges (before schema 6, nowhere).
      const swept = JSON.parse(String(scans.rows.find((r) => r[0] === to)![col('swept')])) as string[];
      const gone = (JSON.parse(diff.stdout) as { changes: Array<{ kind: string; address: string }> }).changes
        .filter((c) => c.kind === 'host-gone' || c.kind === 'port-closed');
      t.deepEqual(gone.filter((c) => !inRanges(c.address, swept)), [], `diff ${from} -> ${to}: nothing outside ${swept.join(',') || 'no coverage'}`);
      if (fx.schema < 6) t.deepEqual(gone, [], `diff ${from} -> ${to}`);
      diffs++;
    }
    t.true(diffs > 0, 'at least one diff ran');
  });

  test(`${fx.key}: the CLI reads the opened database: assets, accounts, unmanaged report and more, counts from SQL`, async (t) => {
    const { db, cli } = await upgrade(fx);
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

  test(`${fx.key}: opening the opened database again changes nothing, and neither do the CLI reads`, async (t) => {
    const { db, hashes } = await upgrade(fx);
    t.is(hashes.reopened, hashes.migrated, 'a second open leaves the file byte for byte');
    t.is(hashes.afterCli, hashes.migrated, 'reading commands leave the file byte for byte');
    t.false(existsSync(`${db}-wal`) && readFileSync(`${db}-wal`).length > 0, 'no WAL content left after the last close');
  });
}
