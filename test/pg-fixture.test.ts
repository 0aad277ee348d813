/**
 * The test PostgreSQL fixture (fixtures/pg/server.ts) against ground truth it does not compute itself: the version
 * from `psql --version`, the processes from `ps`, the folder from the file system. Needs root (the server runs as
 * the postgres user); in CI it always runs, elsewhere it skips with one line. Timeouts are hang budgets only.
 */
import test, { ExecutionContext } from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import pg from 'pg';
import { startPostgres, type TestPostgres } from '../fixtures/pg/server.js';

const BIN = '/usr/lib/postgresql/15/bin';

function requirement(): { ok: true } | { ok: false; why: string } {
  if (process.getuid?.() !== 0) return { ok: false, why: 'it needs root (the server runs as the postgres user)' };
  if (!existsSync(`${BIN}/postgres`)) return { ok: false, why: `no PostgreSQL 15 server in ${BIN}` };
  return { ok: true };
}

function pgTest(title: string, body: (t: ExecutionContext) => Promise<void>): void {
  const can = requirement();
  if (can.ok) test.serial(title, body);
  else if (process.env.CI === 'true') test.serial(title, (t) => t.fail(`CI must run this test, but ${can.why}`));
  else test.skip(`${title} (skipped: ${can.why})`, body);
}

/** Command lines naming `path`, from ps rather than the fixture's own /proc scan. */
function processesNaming(path: string): string[] {
  return execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(path));
}

async function query<R extends pg.QueryResultRow>(url: string, sql: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 20_000 });
  await client.connect();
  try {
    return (await client.query<R>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

async function start(t: ExecutionContext, options?: Parameters<typeof startPostgres>[0]): Promise<TestPostgres> {
  const before = Date.now();
  const server = await startPostgres(options);
  t.teardown(() => server.stop());
  t.log(`started on ${server.address}:${server.port} in ${Date.now() - before} ms`);
  return server;
}

/** Live (non-zombie) processes from ps: PID, parent PID. */
function processTable(): Array<{ pid: number; parent: number }> {
  return execFileSync('ps', ['-eo', 'pid=,ppid=,stat='], { encoding: 'utf8' }).split('\n').map((l) => l.trim().split(/\s+/))
    .filter(([pid, , stat]) => pid && !stat?.startsWith('Z')).map(([pid, parent]) => ({ pid: Number(pid), parent: Number(parent) }));
}

/**
 * Stops the server and checks that the postmaster, its children (each in a session of its own, and renamed, so
 * neither the process group nor the command line finds them) and the folder are gone.
 */
async function assertGone(t: ExecutionContext, server: TestPostgres): Promise<void> {
  const family = [server.pid, ...processTable().filter((p) => p.parent === server.pid).map((p) => p.pid)];
  t.true(family.length > 1, 'the postmaster has no children: the test would prove nothing');
  await server.stop();
  t.deepEqual(processesNaming(server.dataDir), [], 'a process still names the data folder');
  t.false(existsSync(server.dataDir), 'the data folder is left behind');
  const live = new Set(processTable().map((p) => p.pid));
  t.deepEqual(family.filter((pid) => live.has(pid)), [], 'the postmaster or one of its children still runs');
}

pgTest('a server: the surveyor login, its version and address, tables, fresh databases, wrong passwords refused, nothing left after stop', async (t) => {
  t.timeout(180_000);
  const server = await start(t);
  t.is(server.address, '127.94.0.1');
  t.regex(server.url, new RegExp(`^postgres://surveyor:[^@]+@127\\.94\\.0\\.1:${server.port}/surveyor$`));
  t.true(existsSync(server.logFile));

  const psqlMajor = /\(PostgreSQL\) (\d+)/.exec(execFileSync(`${BIN}/psql`, ['--version'], { encoding: 'utf8' }))?.[1];
  t.truthy(psqlMajor, 'psql --version names no major version');
  const [who] = await query<{ current_user: string; version: string }>(server.url, 'SELECT current_user, version()');
  t.is(who?.current_user, 'surveyor');
  t.is(/^PostgreSQL (\d+)/.exec(who?.version ?? '')?.[1], psqlMajor, who?.version);

  const [listen] = await query<{ listen_addresses: string }>(server.url, 'SHOW listen_addresses');
  t.is(listen?.listen_addresses, server.address);

  await query(server.url, 'CREATE TABLE hosts (id serial PRIMARY KEY, address inet NOT NULL, name text)');
  await query(server.url, 'INSERT INTO hosts (address, name) VALUES ($1, $2), ($3, $4)', ['10.0.0.1', 'dc01', '10.0.0.2', 'web ü']);
  t.deepEqual(await query(server.url, 'SELECT host(address) AS address, name FROM hosts ORDER BY id'), [
    { address: '10.0.0.1', name: 'dc01' },
    { address: '10.0.0.2', name: 'web ü' },
  ]);

  const freshUrl = await server.freshDatabase('case_one');
  t.not(freshUrl, server.url);
  const [fresh] = await query<{ db: string; owner: string; tables: string }>(freshUrl,
    "SELECT current_database() AS db, pg_get_userbyid(d.datdba) AS owner, (SELECT count(*) FROM pg_tables WHERE schemaname = 'public') AS tables FROM pg_database d WHERE d.datname = current_database()");
  t.deepEqual(fresh, { db: 'case_one', owner: 'surveyor', tables: '0' });
  await query(freshUrl, 'CREATE TABLE only_here (x int)');
  t.deepEqual(await query(server.url, "SELECT to_regclass('public.only_here') AS t"), [{ t: null }], 'fresh databases are separate');
  await t.throwsAsync(server.freshDatabase('Robert"; DROP'), { message: /lower-case identifier/ });

  const wrong = new URL(server.url);
  wrong.password = 'not-the-password';
  const refused = await t.throwsAsync(query(wrong.toString(), 'SELECT 1'));
  t.is((refused as Error & { code?: string })?.code, '28P01');

  t.truthy(server.adminUrl);
  const [admin] = await query<{ super: boolean }>(server.adminUrl!, 'SELECT rolsuper AS super FROM pg_roles WHERE rolname = current_user');
  t.is(admin?.super, true);

  t.not(processesNaming(server.dataDir), [], 'the postmaster names its data folder while it runs');
  await assertGone(t, server);
});

pgTest('two servers at once on different ports, each with its own data', async (t) => {
  t.timeout(180_000);
  const [a, b] = await Promise.all([start(t), start(t, { address: '127.94.0.2' })]);
  t.not(a.port, b.port);
  t.not(a.dataDir, b.dataDir);
  await query(a.url, 'CREATE TABLE which (name text)');
  await query(a.url, "INSERT INTO which VALUES ('a')");
  await query(b.url, 'CREATE TABLE which (name text)');
  await query(b.url, "INSERT INTO which VALUES ('b')");
  t.deepEqual(await query(a.url, 'SELECT name FROM which'), [{ name: 'a' }]);
  t.deepEqual(await query(b.url, 'SELECT name FROM which'), [{ name: 'b' }]);
  await Promise.all([assertGone(t, a), assertGone(t, b)]);
});

pgTest('a port already taken fails the start with the log tail and leaves nothing behind', async (t) => {
  t.timeout(180_000);
  // Connections (pg_isready asking the holder) are dropped at once: a socket nobody reads keeps close() waiting.
  const holder = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => holder.listen({ host: '127.94.0.3', port: 0 }, resolve));
  t.teardown(() => new Promise<void>((resolve) => holder.close(() => resolve())));
  const port = (holder.address() as { port: number }).port;
  const folders = () => readdirSync(tmpdir()).filter((f) => f.startsWith('surveyor-pg-')).sort();
  const before = folders();
  const err = await t.throwsAsync(startPostgres({ address: '127.94.0.3', port }));
  t.regex(err?.message ?? '', /could not bind|Address already in use/);
  t.deepEqual(folders(), before);
});
