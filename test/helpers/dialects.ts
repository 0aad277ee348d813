/**
 * The two databases the store runs on, as a list each store case is run over (as kysely's own suite does): SQLite
 * (a file in a temporary folder) and PostgreSQL (a throwaway cluster of fixtures/pg/server.ts, started once per
 * test file on first use and stopped after it; each case gets a database of its own). `raw` reads and writes the
 * database directly, through better-sqlite3 or pg, never through surveyor's store: the ground truth.
 *
 * PostgreSQL needs root (the server runs as the postgres user) and Debian's postgresql package: in CI its cases
 * always run; elsewhere, without them, they skip with one line saying why.
 */
import test, { type ExecutionContext } from 'ava';
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { startPostgres, type TestPostgres } from '../../fixtures/pg/server.js';
import { tempDir } from './cli.js';

export interface Dialect {
  readonly name: 'sqlite' | 'postgres';
  /** A new, empty database for one test: a file path (not yet there) or a postgres:// URL (an empty database). */
  fresh(t: ExecutionContext): Promise<string>;
  /**
   * Runs one statement directly on the database (a SQLite file is made if missing; parameters as `$1`, `$2`, ... on both) and returns its rows.
   * Integers come back as numbers on both.
   */
  raw<R = Record<string, unknown>>(location: string, sql: string, values?: readonly unknown[]): Promise<R[]>;
}

const PG_BIN = '/usr/lib/postgresql/15/bin';

/** Whether the PostgreSQL test cluster can run here, or why not. */
export function postgresRequirement(): { ok: true } | { ok: false; why: string } {
  if (process.getuid?.() !== 0) return { ok: false, why: 'PostgreSQL tests need root (the server runs as the postgres user)' };
  if (!existsSync(`${PG_BIN}/postgres`)) return { ok: false, why: `no PostgreSQL 15 server in ${PG_BIN} (Debian package postgresql)` };
  return { ok: true };
}

let server: Promise<TestPostgres> | undefined;
let stopDeclared = false;
let databases = 0;

/** Declares, once per test file and while tests are declared, the hook that stops the file's test cluster. */
export function declarePostgresStop(): void {
  if (stopDeclared) return;
  stopDeclared = true;
  test.after.always('stop the test PostgreSQL', async () => {
    await (await server?.catch(() => undefined))?.stop();
  });
}

/** The test cluster of this test file, started on first use (declarePostgresStop must have been called). */
export function testPostgres(): Promise<TestPostgres> {
  if (!stopDeclared) throw new Error('declarePostgresStop() must be called while the tests are declared');
  server ??= startPostgres({ budgetMs: 120_000 });
  return server;
}

/** pg with int8 and numeric as numbers, as the store reads them. */
const PG_TYPES = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') =>
    (oid === 20 || oid === 1700 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')),
};

export async function pgQuery<R>(url: string, sql: string, values: readonly unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 30_000, types: PG_TYPES as never });
  await client.connect();
  try {
    return (await client.query(sql, values as unknown[])).rows as R[];
  } finally {
    await client.end();
  }
}

export const SQLITE: Dialect = {
  name: 'sqlite',
  fresh: async (t) => join(tempDir(t), 'surveyor.db'),
  raw: async <R>(location: string, sql: string, values: readonly unknown[] = []) => {
    const db = new Database(location);
    try {
      const stmt = db.prepare(sql.replace(/\$\d+/g, '?'));
      return (stmt.reader ? stmt.all(...values) : (stmt.run(...values), [])) as R[];
    } finally {
      db.close();
    }
  },
};

export const POSTGRES: Dialect = {
  name: 'postgres',
  fresh: async () => (await testPostgres()).freshDatabase(`case_${process.pid}_${++databases}`),
  raw: (location, sql, values) => pgQuery(location, sql, values),
};

export const DIALECTS: readonly Dialect[] = [SQLITE, POSTGRES];

/**
 * Declares `title` once per dialect, as `sqlite: title` and `postgres: title`. A PostgreSQL case that cannot run
 * here skips saying why, or fails in CI.
 */
export function eachDialect(title: string, body: (t: ExecutionContext, d: Dialect) => Promise<void> | void, dialects = DIALECTS): void {
  for (const d of dialects) {
    const named = `${d.name}: ${title}`;
    const can = d.name === 'postgres' ? postgresRequirement() : { ok: true as const };
    if (can.ok) {
      if (d.name === 'postgres') declarePostgresStop();
      test(named, (t) => body(t, d));
    }
    else if (process.env.CI === 'true') test(named, (t) => t.fail(`CI must run this test, but ${can.why}`));
    else test.skip(`${named} (skipped: ${can.why})`, () => {});
  }
}
