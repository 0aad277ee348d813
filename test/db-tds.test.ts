/**
 * The MSSQL collector (enum/db/mssql.ts) on replayed TDS bytes. No SQL Server runs here, so its queries' result
 * handling is tested against fixtures/tds/server.ts: a loopback server whose every reply (PRELOGIN, LOGINACK,
 * ENVCHANGE, ERROR, COLMETADATA, ROW and DONE tokens) is built from the [MS-TDS] spec, answering the collector's
 * own SQL batches with a catalog written below. The real client code path runs: tedious connects, sends PRELOGIN and
 * LOGIN7 (the fixture de-obfuscates the password and refuses a wrong one with error 18456), and runs the batches.
 * The login is in clear here (`encrypt: false`; the fixture offers no TLS): a scan always asks for TLS, which the
 * last replay test shows is refused before any password is sent.
 *
 * The last test runs against a real SQL Server when SURVEYOR_TEST_MSSQL_URL is set
 * (mssql://USER:PASSWORD@HOST:PORT[?encrypt=true|false|strict&trustServerCertificate=true]) and is skipped
 * otherwise, also in CI, where no SQL Server can run.
 */
import test from 'ava';
import tedious from 'tedious';
import { enumerateMssql, MSSQL_QUERIES } from '../enum/db/mssql.js';
import { startTdsServer, TdsResult, TdsValue } from '../fixtures/tds/server.js';
import { Credential, Secret } from '../vault/credentials.js';

const ADDRESS = '127.131.0.21';
const USER = 'surveyor_reader';
const PASSWORD = 'Replay-Pass-1';

function credential(username: string, password: string): Credential {
  return {
    name: 'mssql-replay', type: 'mssql', username, auth: 'password', elevate: null, scope: ['any'], keyId: 'k', createdAt: '', updatedAt: '',
    secrets: { password: new Secret(password) },
  };
}

const nv = (name: string) => ({ name, type: 'nvarchar' as const });
const int = (name: string) => ({ name, type: 'int' as const });

/** The replayed catalog: principals (id, name, type, disabled, policy and expiry for SQL logins), role members, permissions. */
const PRINCIPALS: Array<[number, string, string, number, number | null, number | null, number | null, number | null, number | null, string | null]> = [
  // id, name, type, disabled, policy, expiration, locked, expired, days until expiration, password last set (UTC)
  [1, 'sa', 'S', 0, 1, 0, 0, 0, null, '2024-01-02T03:04:05.123'],
  [2, 'public', 'R', 0, null, null, null, null, null, null],
  [3, 'sysadmin', 'R', 0, null, null, null, null, null, null],
  [4, 'securityadmin', 'R', 0, null, null, null, null, null, null],
  [5, 'serveradmin', 'R', 0, null, null, null, null, null, null],
  [6, 'setupadmin', 'R', 0, null, null, null, null, null, null],
  [256, 'app', 'S', 0, 1, 1, 0, 0, 12, '2025-06-01T00:00:00'],
  [257, 'LAB\\ops', 'U', 0, null, null, null, null, null, null],
  [258, 'ctrl', 'S', 0, 1, 0, 0, 0, null, '2025-01-01T00:00:00'],
  [259, 'imp', 'S', 0, 0, 0, 0, 0, null, '2025-01-01T00:00:00'],
  [260, 'impersonators', 'R', 0, null, null, null, null, null, null],
  [261, 'disabled', 'S', 1, 1, 1, 1, 1, 0, '2020-01-01T00:00:00'],
  [262, 'secadm', 'S', 0, 1, 0, 0, 0, null, '2025-01-01T00:00:00'],
  [263, 'ops_role', 'R', 0, null, null, null, null, null, null],
  [264, 'srvadm', 'S', 0, 1, 0, 0, 0, null, '2025-01-01T00:00:00'],
  [265, 'LAB\\DBAs', 'G', 0, null, null, null, null, null, null],
  [266, 'setup', 'S', 0, 1, 0, 0, 0, null, '2025-01-01T00:00:00'],
  [267, '##MS_PolicyTsqlExecutionLogin##', 'C', 1, null, null, null, null, null, null],
];
const ROLE_MEMBERS: Array<[number, number]> = [[3, 1], [3, 265], [4, 262], [5, 264], [6, 266], [263, 259], [260, 263]];
const PERMISSIONS: Array<[number, string, string]> = [
  [258, 'CONTROL SERVER', 'G'], [260, 'IMPERSONATE ANY LOGIN', 'G'], [2, 'VIEW ANY DATABASE', 'G'], [256, 'CONNECT SQL', 'G'], [256, 'VIEW SERVER STATE', 'W'],
];
/** Privileged logins and their reasons, as the rule gives them for the catalog above. */
const EXPECTED_PRIVILEGED: Record<string, string[]> = {
  sa: ['member of sysadmin'],
  ctrl: ['CONTROL SERVER'],
  imp: ['IMPERSONATE ANY LOGIN via role ops_role > impersonators'],
  secadm: ['member of securityadmin'],
  srvadm: ['member of serveradmin'],
  'LAB\\DBAs': ['member of sysadmin'],
};

const BATCHES: Record<string, TdsResult> = {
  [MSSQL_QUERIES.version]: {
    columns: [nv('version'), nv('full_version'), nv('edition')],
    rows: [['16.0.1000.6', 'Microsoft SQL Server 2022 (RTM) - 16.0.1000.6 (X64) \n\tOct  8 2022 05:58:25 \n\tCopyright (C) 2022 Microsoft Corporation\n\tDeveloper Edition (64-bit)', 'Developer Edition (64-bit)']],
  },
  [MSSQL_QUERIES.principals]: {
    columns: [int('principal_id'), nv('name'), nv('type'), int('is_disabled'), nv('sid'), int('is_policy_checked'), int('is_expiration_checked'), int('is_locked'),
      int('is_expired'), int('must_change'), int('days_until_expiration'), nv('password_last_set'), nv('create_date'), nv('default_database')],
    rows: PRINCIPALS.map(([id, name, type, disabled, policy, expiration, locked, expired, days, set]): TdsValue[] => [
      id, name, type, disabled, `0x${id.toString(16).padStart(4, '0').toUpperCase()}`, policy, expiration, locked, expired, type === 'S' ? 0 : null, days, set,
      '2003-04-08T09:10:42.287', type === 'R' ? null : 'master',
    ]),
  },
  [MSSQL_QUERIES.roleMembers]: { columns: [int('role_id'), int('member_id')], rows: ROLE_MEMBERS },
  [MSSQL_QUERIES.permissions]: { columns: [int('grantee_id'), nv('permission'), nv('state')], rows: PERMISSIONS },
};

test('replayed TDS: logins, server roles (nested), CONTROL SERVER and IMPERSONATE ANY LOGIN, SQL login policy and expiry', async (t) => {
  const server = await startTdsServer(ADDRESS, { version: [16, 0, 1000, 6], user: USER, password: PASSWORD, batches: BATCHES });
  t.teardown(() => server.close());
  const record = await enumerateMssql({ address: ADDRESS, port: server.port, credential: credential(USER, PASSWORD), timeoutMs: 5000, encrypt: false });
  t.is(record.status, 'success', record.notes.join('; '));
  t.deepEqual(server.logins, [{ user: USER, ok: true }], 'one login');
  for (const q of Object.values(MSSQL_QUERIES)) t.true(server.batches.includes(q), `ran ${q.slice(0, 40)}`);
  t.like(record.facts.instance?.value, { address: ADDRESS, port: server.port, product: 'Microsoft SQL Server 2022', version: '16.0.1000.6', edition: 'Developer Edition (64-bit)' });

  const logins = PRINCIPALS.filter((p) => p[2] !== 'R').map((p) => p[1]);
  t.deepEqual(record.accounts.map((a) => a.name).sort(), logins.sort(), 'every login, no server role');
  t.true(record.accounts.every((a) => a.kind === 'database' && a.key === `mssql:${server.port}:${a.name}`));
  const privileged = Object.fromEntries(record.accounts.filter((a) => a.privileged).map((a) => [a.name, a.reasons]));
  t.deepEqual(privileged, EXPECTED_PRIVILEGED);

  const by = new Map(record.accounts.map((a) => [a.name, a]));
  const app = by.get('app')!;
  t.like(app.details, { type: 'SQL login', policyChecked: true, expirationChecked: true, daysUntilExpiration: 12, login: true, locked: false, passwordExpired: false, privileges: ['VIEW SERVER STATE'] });
  const expires = Date.parse(String(app.details.passwordExpires));
  t.true(Math.abs(expires - (Date.now() + 12 * 86_400_000)) < 60_000, 'expiry: 12 days from now');
  t.is(app.passwordLastSet, '2025-06-01T00:00:00.000Z');
  t.is(app.uid, '0x0100');
  t.like(by.get('disabled')!, { enabled: false, details: { disabled: true, locked: true, passwordExpired: true } });
  t.like(by.get('LAB\\ops')!.details, { type: 'Windows login', passwordExpires: null });
  t.false('policyChecked' in by.get('LAB\\ops')!.details, 'no SQL-login policy on a Windows login');
  t.deepEqual(by.get('imp')!.details.roles, ['impersonators', 'ops_role']);
  t.deepEqual(by.get('sa')!.details.instance, { address: ADDRESS, port: server.port, product: 'Microsoft SQL Server 2022', version: '16.0.1000.6' });
  const roles = record.facts.serverRoles?.value as Array<{ name: string; members: string[] }>;
  t.deepEqual(roles.find((r) => r.name === 'sysadmin')!.members, ['sa', 'LAB\\DBAs']);
  t.false(JSON.stringify(record).includes(PASSWORD), 'no secret in the record');
});

test('replayed TDS: a wrong password is auth-failed after exactly one login', async (t) => {
  const server = await startTdsServer(ADDRESS, { version: [16, 0, 1000, 6], user: USER, password: PASSWORD, batches: BATCHES });
  t.teardown(() => server.close());
  const record = await enumerateMssql({ address: ADDRESS, port: server.port, credential: credential(USER, 'Wrong-Pass-9'), timeoutMs: 5000, encrypt: false });
  t.is(record.status, 'auth-failed');
  t.regex(record.notes[0]!, /Login failed for user 'surveyor_reader'/);
  t.deepEqual(server.logins, [{ user: USER, ok: false }]);
  t.deepEqual(server.batches, []);
  t.false(JSON.stringify(record).includes('Wrong-Pass-9'));
});

test('replayed TDS: a routing answer is not followed (the credential goes nowhere else)', async (t) => {
  const elsewhere = await startTdsServer(ADDRESS, { version: [16, 0, 1000, 6], user: USER, password: PASSWORD, batches: BATCHES });
  t.teardown(() => elsewhere.close());
  const server = await startTdsServer(ADDRESS, { version: [16, 0, 1000, 6], user: USER, password: PASSWORD, batches: BATCHES, routeToPort: elsewhere.port });
  t.teardown(() => server.close());
  const record = await enumerateMssql({ address: ADDRESS, port: server.port, credential: credential(USER, PASSWORD), timeoutMs: 5000, encrypt: false });
  t.is(record.status, 'unsupported');
  t.regex(record.notes[0]!, /routing/);
  t.is(server.logins.length, 1);
  t.deepEqual(elsewhere.logins, [], 'the routed-to server got no login');
});

test('replayed TDS: a scan asks for TLS; a server that offers none gets no password', async (t) => {
  const server = await startTdsServer(ADDRESS, { version: [16, 0, 1000, 6], user: USER, password: PASSWORD, batches: BATCHES });
  t.teardown(() => server.close());
  const record = await enumerateMssql({ address: ADDRESS, port: server.port, credential: credential(USER, PASSWORD), timeoutMs: 5000 });
  t.is(record.status, 'unsupported');
  t.regex(record.notes[0]!, /offers no TLS; the password of credential mssql-replay was not sent/);
  t.deepEqual(server.logins, []);
});

const url = process.env.SURVEYOR_TEST_MSSQL_URL;
const real = url ? test : test.skip;
real(`a real SQL Server (SURVEYOR_TEST_MSSQL_URL)${url ? '' : ' (skipped: SURVEYOR_TEST_MSSQL_URL is not set; no SQL Server can run here or in CI)'}`, async (t) => {
  const u = new URL(url!);
  const user = decodeURIComponent(u.username);
  const password = decodeURIComponent(u.password);
  const encrypt = u.searchParams.get('encrypt') === 'false' ? false : u.searchParams.get('encrypt') === 'strict' ? 'strict' as const : true;
  const trust = u.searchParams.get('trustServerCertificate') === 'true';
  const port = Number(u.port || 1433);
  const record = await enumerateMssql({ address: u.hostname, port, credential: credential(user, password), timeoutMs: 15_000, encrypt, trustServerCertificate: trust });
  t.is(record.status, 'success', record.notes.join('; '));
  // Ground truth from the server itself, over a connection of the test's own.
  const conn = new tedious.Connection({ server: u.hostname, authentication: { type: 'default', options: { userName: user, password } }, options: { port, encrypt, trustServerCertificate: trust } });
  await new Promise<void>((resolve, reject) => conn.connect((err) => (err ? reject(err) : resolve())));
  t.teardown(() => conn.close());
  const rows = (text: string) => new Promise<string[]>((resolve, reject) => {
    const out: string[] = [];
    const r = new tedious.Request(text, (err) => (err ? reject(err) : resolve(out)));
    r.on('row', (cols: Array<{ value: unknown }>) => out.push(String(cols[0]!.value)));
    conn.execSqlBatch(r);
  });
  const logins = await rows("SELECT name FROM sys.server_principals WHERE type IN ('S', 'U', 'G', 'C', 'K', 'E', 'X')");
  t.deepEqual(record.accounts.map((a) => a.name).sort(), logins.sort());
  const sysadmins = await rows("SELECT m.name FROM sys.server_role_members rm JOIN sys.server_principals r ON r.principal_id = rm.role_principal_id JOIN sys.server_principals m ON m.principal_id = rm.member_principal_id WHERE r.name = 'sysadmin'");
  for (const name of sysadmins) t.true(record.accounts.find((a) => a.name === name)?.reasons.includes('member of sysadmin'), name);
  t.false(JSON.stringify(record).includes(password));
});
