/**
 * The CLI on PostgreSQL (`--db postgres://...`) beside the same work on SQLite: a scan of a generated estate finds
 * exactly the estate's ground truth on both, and assets, accounts, credentials and the unmanaged report give the
 * same rows; the lab's SSH host enumerated with credentials and a rule set applied gives the same accounts and
 * report on both. Bad input: an unreachable server, a wrong password, a missing database, another application's
 * database, a read-only database and a malformed URL each get exit 2 or 1 and a message naming the problem, never
 * the password, and nothing half-written. PostgreSQL is a throwaway cluster (fixtures/pg/server.ts).
 */
import test, { type ExecutionContext } from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEstateProcess } from '../fixtures/estate/process.js';
import { freePort } from '../fixtures/pg/server.js';
import { jsonLines, openPortsOf, runCli, type RunResult, tempDir } from './helpers/cli.js';
import { eachDialect, POSTGRES, pgQuery, SQLITE, testPostgres } from './helpers/dialects.js';
import { labServer } from './helpers/lab.js';
import type { ServerInfo } from '../fixtures/lab/types.js';

const outputs: string[] = [];
const secrets: string[] = [];

/** The CLI on one database, with a vault key of the test's folder; every output is kept for the secrets check. */
async function cli(dir: string, db: string, args: string[], input?: string): Promise<RunResult> {
  const r = await runCli(args[0] === 'scan' ? [...args, '--no-progress'] : args, { env: { SURVEYOR_KEY_FILE: join(dir, 'vault.key'), SURVEYOR_DB: db }, input });
  outputs.push(r.stdout, r.stderr);
  return r;
}

async function ok(t: ExecutionContext, dir: string, db: string, args: string[], input?: string): Promise<RunResult> {
  const r = await cli(dir, db, args, input);
  t.is(r.code, 0, `${args.join(' ')} on ${db.startsWith('postgres') ? 'PostgreSQL' : 'SQLite'}: ${r.stderr}`);
  return r;
}

/**
 * Output rows with what differs between two runs of the same work taken out: times, durations, the scan's
 * process and the SSH session's random output markers. Ids stay: both databases number rows in the order they are written.
 */
function comparable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(comparable);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([k]) => !/(At|Seen|Ms|^seen|^owner|^elapsed|^rtt|^lastLogon|^database)$/.test(k) && !/^(rtt|elapsed|generated)/.test(k))
      .map(([k, v]) => [k, comparable(v)]));
  }
  if (typeof value === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(value)) return '<time>';
  // The SSH enumerator marks each session's command output with a random marker (enum/ssh/collect.ts).
  if (typeof value === 'string') return value.replace(/\b[0-9a-f]{24}\b/g, '<marker>');
  return value;
}

const json = (r: RunResult) => comparable(JSON.parse(r.stdout));

/** Declares a test that needs both databases: it runs where PostgreSQL can (in CI always). */
function bothTest(title: string, body: (t: ExecutionContext) => Promise<void>): void {
  eachDialect(title, (t) => body(t), [POSTGRES]);
}

bothTest('a generated estate scanned into PostgreSQL and into SQLite: the ground truth on both, and the same assets, scans, credentials', async (t) => {
  const dir = tempDir(t);
  const estate = await startEstateProcess({ cidr: '127.95.0.0/24', seed: 5, density: 0.08, ports: [22, 80, 443, 3306, 5432] });
  t.teardown(() => estate.stop());
  const truth = estate.plan.open;
  const sqlite = join(dir, 's.db');
  const postgres = await POSTGRES.fresh(t);
  const results: Record<string, Record<string, unknown>> = {};
  for (const [name, db] of [['sqlite', sqlite], ['postgres', postgres]] as const) {
    const scan = await ok(t, dir, db, ['scan', '127.95.0.0/24', '--ports', estate.plan.ports.join(','), '--format', 'jsonl']);
    t.deepEqual(openPortsOf(jsonLines(scan.stdout)), truth, `${name}: the scan's output is the ground truth`);
    const assets = JSON.parse((await ok(t, dir, db, ['assets', '--format', 'json'])).stdout) as { assets: Array<{ address: string; ports: Array<{ port: number; state: string }> }> };
    t.deepEqual(openPortsOf(assets.assets as never), truth, `${name}: the stored assets are the ground truth`);
    await ok(t, dir, db, ['creds', 'add', '--name', 'estate', '--type', 'ssh', '--username', 'auditor', '--password-stdin', '--scope', '127.95.0.0/24'], 'estate-secret-Zq81\n');
    secrets.push('estate-secret-Zq81');
    results[name] = {
      assets: json(await ok(t, dir, db, ['assets', '--format', 'json'])),
      scans: json(await ok(t, dir, db, ['scans', '--format', 'json'])),
      creds: json(await ok(t, dir, db, ['creds', 'list', '--format', 'json'])),
      accounts: json(await ok(t, dir, db, ['accounts', '--format', 'json'])),
      unmanaged: json(await ok(t, dir, db, ['report', 'unmanaged', '--format', 'json'])),
    };
  }
  t.deepEqual(results.postgres, results.sqlite);
  // The credential is sealed on both: neither database holds the secret.
  const pgRows = JSON.stringify(await pgQuery(postgres, 'SELECT * FROM credentials'));
  const liteRows = JSON.stringify(await SQLITE.raw(sqlite, 'SELECT * FROM credentials'));
  t.false(pgRows.includes('estate-secret-Zq81'));
  t.false(liteRows.includes('estate-secret-Zq81'));
  t.regex(pgRows, /"sealed":"[^"]{20,}"/);
});

const ssh = labServer('ssh');
if (typeof ssh === 'string') {
  if (process.env.CI === 'true') test('ssh: the lab host enumerated into PostgreSQL and SQLite', (t) => t.fail(`CI must run this test, but ${ssh}`));
  else test.skip(`ssh: the lab host enumerated into PostgreSQL and SQLite (skipped: ${ssh})`, () => {});
} else {
  bothTest('ssh: the lab host enumerated with credentials and a rule set applied: the same accounts and reports on PostgreSQL as on SQLite', async (t) => {
    const info = ssh as ServerInfo;
    const dir = tempDir(t);
    const admin = info.credentials.admin!;
    if (admin.password) secrets.push(admin.password);
    const rules = join(dir, 'rules.yaml');
    writeFileSync(rules, `schema: 1
rules:
  - name: privileged local
    kind: account
    when: { all: [ { field: privileged, op: eq, value: true }, { field: kind, op: eq, value: local }, { not: { field: name, op: eq, value: root } } ] }
    then: [ { onboard: { workgroup: lab-site, policy: strong, changeFrequencyDays: 7 } } ]
`);
    const results: Record<string, Record<string, unknown>> = {};
    for (const [name, db] of [['sqlite', join(dir, 's.db')], ['postgres', await POSTGRES.fresh(t)]] as const) {
      await ok(t, dir, db, ['creds', 'add', '--name', 'lab-admin', '--type', 'ssh', '--username', admin.username, '--password-stdin', '--elevate', 'sudo', '--scope', `${info.address}/32`], `${admin.password}\n`);
      await ok(t, dir, db, ['scan', info.address, '--ports', '22', '--creds', 'lab-admin']);
      await ok(t, dir, db, ['workgroups', 'add', 'lab-site', '--site', 'loopback']);
      const before = json(await ok(t, dir, db, ['report', 'unmanaged', '--format', 'json'])) as { rows: unknown[] };
      t.true(before.rows.length > 0, `${name}: privileged accounts were found`);
      await ok(t, dir, db, ['rules', 'apply', rules, '--format', 'json']);
      results[name] = {
        // The lab host is this machine: other tests running beside this one add and remove system users between the two
        // scans. The lab's own users (sv<tag>*), root and the SSH keys are stable, and are what is compared.
        accounts: labAccounts(json(await ok(t, dir, db, ['accounts', '--format', 'json']))),
        before,
        unmanaged: json(await ok(t, dir, db, ['report', 'unmanaged', '--format', 'json'])),
        managed: json(await ok(t, dir, db, ['report', 'managed', '--format', 'json'])),
        software: json(await ok(t, dir, db, ['report', 'software', '--format', 'json'])),
      };
    }
    // Account ids are surrogate keys: PostgreSQL's identity consumes a value on every upsert that finds its row, and
    // on every retried write, so they may differ between the databases; every other value must not.
    const names = (r: Record<string, unknown>) => (r.accounts as { accounts: Array<{ kind: string; name: string; lastScanId: number; details: { fingerprint?: string } }> }).accounts
      .map((a) => `${a.kind}:${a.name}:${a.details.fingerprint ?? ''}:${a.lastScanId}`);
    t.deepEqual(names(results.postgres!), names(results.sqlite!), 'the same accounts');
    t.deepEqual(withoutIds(results.postgres), withoutIds(results.sqlite));
  });
}

function labAccounts(listing: unknown): unknown {
  const l = listing as { accounts: Array<{ kind: string; name: string }> };
  return { ...l, accounts: l.accounts.filter((a) => a.kind !== 'local' || a.name === 'root' || /^sv\d+/.test(a.name)) };
}

function withoutIds(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutIds);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'id' && k !== 'accountId').map(([k, x]) => [k, withoutIds(x)]));
  return v;
}

bothTest('bad PostgreSQL input: each named, exit 2 or 1, never the password, nothing half-written', async (t) => {
  const dir = tempDir(t);
  const server = await testPostgres();
  const password = new URL(server.url).password;
  secrets.push(password);
  const url = (change: (u: URL) => void) => {
    const u = new URL(server.url);
    change(u);
    return u.toString();
  };

  // Nothing listens there: a runtime failure (1), the server named.
  const closed = await freePort(server.address);
  const unreachable = await cli(dir, url((u) => (u.port = String(closed))), ['assets']);
  t.is(unreachable.code, 1, unreachable.stderr);
  t.regex(unreachable.stderr, new RegExp(`cannot reach PostgreSQL at ${server.address.replace(/\./g, '\\.')}:${closed}: connection refused`));

  // A wrong password: the user's input (2).
  const wrong = 'not-the-password-7Yx';
  secrets.push(wrong);
  const denied = await cli(dir, url((u) => (u.password = wrong)), ['scan', '127.0.0.1', '--ports', '9']);
  t.is(denied.code, 2, denied.stderr);
  t.regex(denied.stderr, /refused the login of user "surveyor" to database "surveyor": password authentication failed/);

  // No such database (2): surveyor makes tables, not databases.
  const missing = await cli(dir, url((u) => (u.pathname = '/nosuchdb')), ['workgroups', 'add', 'wg', '--site', 's']);
  t.is(missing.code, 2, missing.stderr);
  t.regex(missing.stderr, /no database "nosuchdb" on PostgreSQL at .*: create it first/);

  // A reading command on an empty database (2): not read as an empty estate, and nothing is made.
  const empty = await POSTGRES.fresh(t);
  const read = await cli(dir, empty, ['assets']);
  t.is(read.code, 2, read.stderr);
  t.regex(read.stderr, /no surveyor database at postgres:\/\/surveyor@.*the database has no surveyor tables/);
  t.deepEqual(await pgQuery(empty, 'SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()'), []);

  // Another application's database (2), left as it was.
  const other = await POSTGRES.fresh(t);
  await pgQuery(other, 'CREATE TABLE orders (id integer PRIMARY KEY, total integer)');
  await pgQuery(other, 'INSERT INTO orders VALUES (1, 42)');
  const foreign = await cli(dir, other, ['scan', '127.0.0.1', '--ports', '9']);
  t.is(foreign.code, 2, foreign.stderr);
  t.regex(foreign.stderr, /another application's PostgreSQL database \(tables: orders\)/);
  t.deepEqual(await pgQuery(other, "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"), [{ table_name: 'orders' }]);

  // A read-only database: reading works, writing is refused (1) before anything is written.
  const readonly = await POSTGRES.fresh(t);
  await ok(t, dir, readonly, ['workgroups', 'add', 'wg', '--site', 's']);
  const name = new URL(readonly).pathname.slice(1);
  await pgQuery(server.adminUrl!, `ALTER DATABASE ${name} SET default_transaction_read_only = on`);
  await ok(t, dir, readonly, ['workgroups', 'list']);
  const refused = await cli(dir, readonly, ['scan', '127.0.0.1', '--ports', '9']);
  t.is(refused.code, 1, refused.stderr);
  t.regex(refused.stderr, /the PostgreSQL database postgres:\/\/surveyor@.* is read-only/);
  t.deepEqual(await pgQuery(readonly, 'SELECT count(*)::int AS n FROM scans'), [{ n: 0 }]);

  // Malformed URLs (2), the password cut out.
  for (const bad of [`postgres://surveyor:${password}@${server.address}:99999/surveyor`, `postgres://surveyor:${password}@${server.address}:${server.port}`]) {
    const r = await cli(dir, bad, ['assets']);
    t.is(r.code, 2, r.stderr);
    t.regex(r.stderr, /bad --db "postgres:\/\/surveyor(:\[redacted\])?@/);
  }
});

test.after.always('no password or secret in any output of this file', (t) => {
  for (const secret of secrets) for (const out of outputs) t.false(out.includes(secret), `a secret appeared in: ${out.slice(0, 300)}`);
});
