/**
 * Database accounts against the lab's MariaDB and PostgreSQL (fixtures/lab/servers/mysql.ts and postgres.ts hold
 * fixture accounts with varied privileges), compared with catalog queries this file runs with the servers' own
 * clients (`mariadb` over the server's socket as root: mysql.user, SHOW GRANTS and SHOW CREATE USER; `psql` over its
 * socket as postgres: pg_roles and pg_has_role). Also: the exact PostgreSQL version from the login replaces the
 * fingerprint's bound, a wrong password is `auth-failed` after exactly one attempt (counted in the server's own log),
 * Smart Rules select database accounts by `kind` and `database.*` fields, and no secret appears in any output
 * (scan, accounts, assets show, reports) or in the database file.
 */
import test, { ExecutionContext } from 'ava';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerInfo } from '../fixtures/lab/types.js';
import { pgBin } from '../fixtures/lab/servers/postgres.js';
import { waitFor } from '../fixtures/lab/exec.js';
import { jsonLines, recordingCli, RunResult, tempDir } from './helpers/cli.js';
import { labTest, truthOf } from './helpers/lab.js';

type Account = {
  kind: string; name: string; uid: string | null; privileged: boolean; reasons: string[]; enabled: boolean | null; method: string;
  passwordLastSet: string | null; details: Record<string, unknown> & { instance: Record<string, unknown> };
};

const outputs: string[] = [];
const run = recordingCli(outputs);
const cli = (dir: string, args: string[], input?: string): Promise<RunResult> => run(dir, args, { input });
const WRONG = 'Wrong-Pass-9';

async function ok(t: ExecutionContext, dir: string, args: string[], input?: string): Promise<RunResult> {
  const r = await cli(dir, args, input);
  t.is(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  return r;
}

async function accounts(dir: string, address: string): Promise<Account[]> {
  const r = await cli(dir, ['accounts', '--asset', address, '--kind', 'database', '--format', 'jsonl']);
  return jsonLines(r.stdout) as unknown as Account[];
}

function assertNoSecrets(t: ExecutionContext, dir: string, secrets: readonly string[]): void {
  const stored = readFileSync(join(dir, 's.db')).toString('latin1');
  for (const secret of secrets) {
    for (const text of [...outputs, stored]) t.false(text.includes(secret), `a secret appeared in an output or the database (${secret.slice(0, 4)}...)`);
  }
}

const cleanups: Array<() => void> = [];
test.after.always(() => cleanups.forEach((fn) => fn()));

/** One scan of a lab database server with its privileged credential, shared by the comparisons of that server. */
const scans = new Map<string, Promise<{ dir: string; scan: RunResult }>>();
function dbaScan(t: ExecutionContext, info: ServerInfo, type: 'mysql' | 'postgres'): Promise<{ dir: string; scan: RunResult }> {
  let p = scans.get(type);
  if (!p) {
    p = (async () => {
      const dir = tempDir({ teardown: (fn) => cleanups.push(fn) });
      const dba = info.credentials.dba!;
      await ok(t, dir, ['creds', 'add', '--name', `lab-${type}`, '--type', type, '--username', dba.username, '--password-stdin', '--scope', `${info.address}/32`], `${dba.password}\n`);
      const port = String(Object.values(info.ports)[0]);
      const scan = await cli(dir, ['scan', info.address, '--ports', port, '--creds', `lab-${type}`, '--format', 'jsonl']);
      return { dir, scan };
    })();
    scans.set(type, p);
  }
  return p;
}

// ------------------------------------------------------------------------------------------------ MariaDB

/** Runs SQL as root over the server's own socket with its own client; rows of tab-separated fields. */
function mariadb(info: ServerInfo, sql: string): string[][] {
  const out = execFileSync('mariadb', ['--no-defaults', '-S', info.extra.socket!, '-u', 'root', '-N', '-B', '-e', sql], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
}

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
const MYSQL_PRIVILEGED = ['ALL PRIVILEGES', 'SUPER', 'CREATE USER', 'FILE'];

/** An account's or role's global privileges and granted roles, read from SHOW GRANTS. */
function showGrants(info: ServerInfo, who: string): { privileges: string[]; grantOption: boolean; roles: string[] } {
  const lines = mariadb(info, `SHOW GRANTS FOR ${who}`).map((r) => r[0]!);
  const privileges: string[] = [];
  const roles: string[] = [];
  let grantOption = false;
  for (const line of lines) {
    const global = /^GRANT (.+?) ON \*\.\* TO /.exec(line);
    if (global) {
      privileges.push(...global[1]!.split(', '));
      if (/ WITH GRANT OPTION\b/.test(line)) grantOption = true;
    }
    const role = /^GRANT `([^`]+)` TO /.exec(line);
    if (role) roles.push(role[1]!);
  }
  return { privileges, grantOption, roles };
}

/** Privileged by the rule, from SHOW GRANTS: ALL/SUPER/CREATE USER/FILE or GRANT OPTION on *.*, itself or through roles. */
function mysqlTruth(info: ServerInfo): Map<string, { privileged: Set<string>; user: string; host: string; locked: boolean; expired: boolean; interval: number | null }> {
  const users = mariadb(info, "SELECT User, Host FROM mysql.user WHERE is_role = 'N'");
  const roleGrants = new Map<string, ReturnType<typeof showGrants>>();
  const grantsOfRole = (role: string) => {
    if (!roleGrants.has(role)) roleGrants.set(role, showGrants(info, quote(role)));
    return roleGrants.get(role)!;
  };
  const privilegedOf = (g: ReturnType<typeof showGrants>) => [...g.privileges.filter((p) => MYSQL_PRIVILEGED.includes(p)), ...(g.grantOption ? ['GRANT OPTION'] : [])];
  const out = new Map<string, { privileged: Set<string>; user: string; host: string; locked: boolean; expired: boolean; interval: number | null }>();
  for (const [user, host] of users) {
    const who = `${quote(user!)}@${quote(host!)}`;
    const own = showGrants(info, who);
    const privileged = new Set(privilegedOf(own));
    const seen = new Set<string>();
    const queue = [...own.roles];
    while (queue.length) {
      const role = queue.shift()!;
      if (seen.has(role)) continue;
      seen.add(role);
      const g = grantsOfRole(role);
      for (const p of privilegedOf(g)) privileged.add(p);
      queue.push(...g.roles);
    }
    if (privileged.has('ALL PRIVILEGES')) for (const p of ['SUPER', 'CREATE USER', 'FILE']) privileged.delete(p);
    const create = mariadb(info, `SHOW CREATE USER ${who}`)[0]![0]!;
    const interval = /PASSWORD EXPIRE INTERVAL (\d+) DAY/.exec(create);
    out.set(`${user === '' ? "''" : user}@${host}`, {
      privileged, user: user!, host: host!, locked: / ACCOUNT LOCK\b/.test(create), expired: / PASSWORD EXPIRE(?! INTERVAL| NEVER| DEFAULT)/.test(create),
      interval: interval ? Number(interval[1]) : null,
    });
  }
  return out;
}

labTest('mysql', 'database accounts equal mysql.user, and privileged flags equal SHOW GRANTS (roles followed), with the instance', async (t, info) => {
  const { dir, scan } = await dbaScan(t, info, 'mysql');
  t.is(scan.code, 0, scan.stderr);
  const [asset] = jsonLines(scan.stdout) as Array<{ ports: Array<{ version?: string }>; enumerations: Array<{ method: string; status: string; accounts: number }> }>;
  t.like(asset!.enumerations[0], { method: 'mysql', status: 'success' });
  const truth = mysqlTruth(info);
  const found = await accounts(dir, info.address);
  t.deepEqual(found.map((a) => a.name).sort(), [...truth.keys()].sort(), 'every account of mysql.user (roles are not accounts)');
  t.is(asset!.enumerations[0]!.accounts, truth.size);
  const version = (truthOf<{ version: string }>(info)).version;
  for (const a of found) {
    const want = truth.get(a.name)!;
    t.is(a.privileged, want.privileged.size > 0, `${a.name} privileged`);
    t.deepEqual([...new Set(a.reasons.map((r) => r.split(' via role ')[0]!))].sort(), [...want.privileged].sort(), `${a.name} reasons`);
    t.like(a.details, { user: want.user, host: want.host, anonymous: want.user === '', anyHost: want.host === '%', locked: want.locked });
    t.is(a.enabled, !want.locked, `${a.name} enabled`);
    if (want.expired) t.true(a.details.passwordExpired, `${a.name} password expired`);
    t.is(a.details.passwordLifetimeDays, want.interval, `${a.name} password lifetime`);
    t.deepEqual(a.details.instance, { address: info.address, port: 3306, product: 'MariaDB', version: version.split('-')[0] });
    t.is(a.method, 'mysql');
  }
  // The fixture's cases, by name, so that a fixture that lost one fails here rather than passing vacuously.
  const by = new Map(found.map((a) => [a.name, a]));
  const lab = (u: string) => `${u}@127.0.0.0/255.0.0.0`;
  t.deepEqual(by.get(lab('labsuper'))!.reasons, ['SUPER']);
  t.deepEqual(by.get(lab('labfile'))!.reasons, ['FILE']);
  t.deepEqual(by.get(lab('labgrant'))!.reasons, ['GRANT OPTION']);
  t.deepEqual(by.get(lab('labdba'))!.reasons, ['ALL PRIVILEGES', 'GRANT OPTION']);
  t.deepEqual(by.get(lab('labrole'))!.reasons, ['CREATE USER via role lab_ops_role > lab_admin_role']);
  t.deepEqual(by.get(lab('labrole'))!.details.roles, ['lab_admin_role', 'lab_ops_role']);
  t.like(by.get("''@localhost")!.details, { anonymous: true });
  t.like(by.get('labwild@%')!.details, { anyHost: true });
  t.like(by.get(lab('lablocked'))!, { enabled: false, details: { locked: true } });
  t.like(by.get(lab('labexpired'))!.details, { passwordExpired: true });
  const lifetime = by.get(lab('lablifetime'))!;
  t.is(Date.parse(String(lifetime.details.passwordExpires)) - Date.parse(lifetime.passwordLastSet!), 30 * 86_400_000);
  t.is(by.get(lab('labapp'))!.privileged, false);
});

labTest('mysql', 'a wrong password: auth-failed after exactly one attempt (the server\'s log), exit 3, no secret anywhere', async (t, info) => {
  const dir = tempDir(t);
  const user = info.credentials.report!.username;
  await ok(t, dir, ['creds', 'add', '--name', 'wrong-mysql', '--type', 'mysql', '--username', user, '--password-stdin', '--scope', info.address], `${WRONG}\n`);
  const log = () => readFileSync(join(info.dir, 'error.log'), 'utf8').split(`Access denied for user '${user}'@`).length;
  const before = log();
  const scan = await cli(dir, ['scan', info.address, '--ports', '3306', '--creds', 'wrong-mysql', '--format', 'json']);
  t.is(scan.code, 3, scan.stderr);
  const e = (JSON.parse(scan.stdout) as { assets: Array<{ enumerations: Array<{ status: string; credential: string; notes: string[] }> }> }).assets[0]!.enumerations;
  t.is(e.length, 1);
  t.like(e[0], { status: 'auth-failed', credential: 'wrong-mysql' });
  t.regex(e[0]!.notes[0]!, /Access denied for user/);
  await waitFor('the error log', () => log() > before, 30_000);
  await new Promise((r) => setTimeout(r, 300));
  t.is(log() - before, 1, 'exactly one refused login in the server\'s log');
  const test = await cli(dir, ['creds', 'test', 'wrong-mysql', info.address]);
  t.is(test.code, 1);
  t.regex(test.stdout, /wrong-mysql on .* port 3306: auth-failed/);
  assertNoSecrets(t, dir, [WRONG]);
});

// ------------------------------------------------------------------------------------------------ PostgreSQL

function psql(info: ServerInfo, sql: string): string[][] {
  const out = execFileSync(join(pgBin(), 'psql'), ['-h', info.extra.socketDir!, '-U', 'postgres', '-d', 'postgres', '-X', '-A', '-t', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
}

const PG_PRIVILEGED_ROLES = ['pg_read_server_files', 'pg_write_server_files', 'pg_execute_server_program', 'pg_read_all_data', 'pg_write_all_data'];

labTest('postgres', 'database accounts equal pg_roles; privileged flags and transitive memberships equal the server\'s pg_has_role', async (t, info) => {
  const { dir, scan } = await dbaScan(t, info, 'postgres');
  t.is(scan.code, 0, scan.stderr);
  const roles = psql(info, "SELECT oid, rolname, rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, rolcanlogin, coalesce(rolvaliduntil < now(), false) FROM pg_roles WHERE rolname !~ '^pg_' ORDER BY rolname");
  // Membership as the server computes it (pg_has_role ... MEMBER follows grants at any depth); superusers pass
  // every check, so their memberships are read for non-superusers only.
  const memberships = psql(info, "SELECT r.rolname, g.rolname FROM pg_roles r JOIN pg_roles g ON g.oid <> r.oid WHERE NOT r.rolsuper AND r.rolname !~ '^pg_' AND pg_has_role(r.oid, g.oid, 'MEMBER')");
  const superusers = new Set(roles.filter((r) => r[2] === 't').map((r) => r[1]!));
  const found = await accounts(dir, info.address);
  t.deepEqual(found.map((a) => a.name).sort(), roles.map((r) => r[1]!).sort());
  const serverVersion = psql(info, 'SHOW server_version')[0]![0]!;
  for (const [oid, name, su, createrole, createdb, replication, bypassrls, login, expired] of roles) {
    const a = found.find((x) => x.name === name)!;
    const yes = (v: string | undefined) => v === 't';
    const inRoles = memberships.filter((m) => m[0] === name).map((m) => m[1]!);
    const privileged = yes(su) || yes(createrole) || yes(replication) || yes(bypassrls)
      || inRoles.some((r) => PG_PRIVILEGED_ROLES.includes(r) || superusers.has(r));
    t.is(a.privileged, privileged, `${name} privileged`);
    t.like(a.details, { superuser: yes(su), createrole: yes(createrole), createdb: yes(createdb), replication: yes(replication), bypassrls: yes(bypassrls), login: yes(login), passwordExpired: yes(expired) });
    t.is(a.enabled, yes(login) && !yes(expired), `${name} enabled`);
    t.is(a.uid, oid ?? null);
    if (!yes(su)) t.deepEqual(a.details.roles, [...inRoles].sort(), `${name} roles`);
    t.deepEqual(a.details.instance, { address: info.address, port: 5432, product: 'PostgreSQL', version: serverVersion.split(' ')[0] });
  }
  const by = new Map(found.map((a) => [a.name, a]));
  t.deepEqual(by.get('labdeploy')!.reasons, ['member of pg_execute_server_program via labops > labprogram']);
  t.deepEqual(by.get('labreader')!.reasons, ['member of pg_read_all_data']);
  t.deepEqual(by.get('labcreaterole')!.reasons, ['CREATEROLE']);
  t.deepEqual(by.get('labbypass')!.reasons, ['BYPASSRLS']);
  t.like(by.get('labgroup')!, { enabled: false, privileged: false, details: { login: false } });
  t.like(by.get('labexpired')!, { enabled: false, details: { passwordExpired: true, validUntil: '2001-02-03T04:05:06Z' } });
  t.like(by.get('labexpiring')!, { enabled: true, details: { passwordExpired: false, passwordExpires: '2099-12-31T23:59:59Z' } });
  t.is(by.get('labcreatedb')!.privileged, false, 'CREATEDB alone is recorded, not privileged');
});

labTest('postgres', 'the exact version from the login replaces the fingerprint\'s bound on the service', async (t, info) => {
  const { dir } = await dbaScan(t, info, 'postgres');
  const serverVersion = psql(info, 'SHOW server_version')[0]![0]!.split(' ')[0]!;
  const shown = await ok(t, dir, ['assets', 'show', info.address, '--format', 'json']);
  const port = (JSON.parse(shown.stdout) as { ports: Array<{ port: number; product?: string; version?: string; sources?: Record<string, string> }> }).ports.find((p) => p.port === 5432)!;
  t.like(port, { product: 'PostgreSQL', version: serverVersion });
  const evidence = await ok(t, dir, ['assets', 'show', info.address, '--evidence']);
  t.regex(evidence.stdout, /version +<- postgres login with credential lab-postgres: SHOW server_version/);
});

labTest('postgres', 'a wrong password: auth-failed after exactly one attempt (the server\'s log), no secret anywhere', async (t, info) => {
  const dir = tempDir(t);
  const user = info.credentials.report!.username;
  await ok(t, dir, ['creds', 'add', '--name', 'wrong-pg', '--type', 'postgres', '--username', user, '--password-stdin', '--scope', info.address], `${WRONG}\n`);
  const log = () => readFileSync(join(info.dir, 'postgres.log'), 'utf8').split(`password authentication failed for user "${user}"`).length;
  const before = log();
  const scan = await cli(dir, ['scan', info.address, '--ports', '5432', '--creds', 'wrong-pg', '--format', 'json']);
  t.is(scan.code, 3, scan.stderr);
  const e = (JSON.parse(scan.stdout) as { assets: Array<{ enumerations: Array<{ status: string; credential: string }> }> }).assets[0]!.enumerations;
  t.deepEqual(e.map((x) => [x.status, x.credential]), [['auth-failed', 'wrong-pg']]);
  await waitFor('the postgres log', () => log() > before, 30_000);
  await new Promise((r) => setTimeout(r, 300));
  t.is(log() - before, 1, 'exactly one failed authentication in the server\'s log');
  assertNoSecrets(t, dir, [WRONG]);
});

// ------------------------------------------------------------------------------------------------ both

labTest('postgres', 'Smart Rules select database accounts by kind and database.* fields; no secret in any output, report or the database', async (t, info) => {
  const { dir } = await dbaScan(t, info, 'postgres');
  const found = await accounts(dir, info.address);
  const rules = join(dir, 'rules.yaml');
  writeFileSync(rules, `schema: 1
rules:
  - name: pg privileged logins
    kind: account
    when: { all: [ { field: kind, op: eq, value: database }, { field: database.product, op: eq, value: PostgreSQL },
                   { field: privileged, op: eq, value: true }, { field: database.login, op: eq, value: true } ] }
    then: [ { tag: db-admin } ]
  - name: runs server programs
    kind: account
    when: { all: [ { field: kind, op: eq, value: database }, { field: database.roles, op: contains, value: pg_execute_server_program } ] }
    then: [ { tag: server-program } ]
  - name: expired database passwords
    kind: account
    when: { all: [ { field: kind, op: eq, value: database }, { field: database.passwordExpired, op: eq, value: true } ] }
    then: [ { tag: expired } ]
`);
  await ok(t, dir, ['rules', 'validate', rules]);
  const applied = JSON.parse((await ok(t, dir, ['rules', 'apply', rules, '--dry-run', '--explain', '--format', 'json'])).stdout) as {
    results: Array<{ subject: string; label: string; rules: Array<{ rule: string; matched: boolean }> }>;
  };
  const matched = (rule: string) => applied.results.filter((r) => r.subject === 'account' && r.rules.some((m) => m.rule === rule && m.matched)).map((r) => r.label).sort();
  const label = (a: Account) => `${info.address} ${a.name} (database)`;
  t.deepEqual(matched('pg privileged logins'), found.filter((a) => a.privileged && a.details.login === true).map(label).sort());
  t.deepEqual(matched('runs server programs'), found.filter((a) => (a.details.roles as string[]).includes('pg_execute_server_program')).map(label).sort());
  t.deepEqual(matched('runs server programs'), ['labdeploy', 'labops', 'labprogram'].map((n) => `${info.address} ${n} (database)`));
  t.deepEqual(matched('expired database passwords'), [`${info.address} labexpired (database)`]);

  // Every output a person or a tool would read, then the secrets of every fixture role.
  await ok(t, dir, ['accounts', '--format', 'json']);
  await ok(t, dir, ['accounts']);
  await ok(t, dir, ['assets', 'show', info.address, '--evidence']);
  await ok(t, dir, ['report', 'unmanaged', '--format', 'json']);
  await ok(t, dir, ['report', 'unmanaged', '--format', 'html']);
  await ok(t, dir, ['creds', 'list', '--format', 'json']);
  const test = await ok(t, dir, ['creds', 'test', 'lab-postgres', info.address]);
  t.regex(test.stdout, /lab-postgres on .* port 5432: success: logged in as labdba to PostgreSQL \d+/);
  const truth = truthOf<{ fixtureRoles: Array<{ password: string | null }> }>(info);
  assertNoSecrets(t, dir, [...Object.values(info.credentials).map((c) => c.password!), ...truth.fixtureRoles.flatMap((r) => (r.password ? [r.password] : []))]);
});

labTest('mysql', 'no secret of the fixture accounts in any output, report or the database', async (t, info) => {
  const { dir } = await dbaScan(t, info, 'mysql');
  await ok(t, dir, ['accounts', '--format', 'json']);
  await ok(t, dir, ['assets', 'show', info.address, '--evidence']);
  await ok(t, dir, ['assets', 'show', info.address, '--format', 'json']);
  await ok(t, dir, ['report', 'unmanaged', '--format', 'json']);
  const truth = truthOf<{ fixtureAccounts: Array<{ password: string | null }> }>(info);
  const hashes = mariadb(info, "SELECT authentication_string FROM mysql.user WHERE authentication_string <> ''").map((r) => r[0]!);
  t.true(hashes.length > 0);
  assertNoSecrets(t, dir, [...Object.values(info.credentials).map((c) => c.password!), ...truth.fixtureAccounts.flatMap((a) => (a.password ? [a.password] : [])), ...hashes]);
});
