/**
 * The shared database for many nodes: PostgreSQL through pg's pool, given as `postgres://user:password@host:port/db`.
 * The password is used to log in and appears nowhere else: `location` and every message name the server without
 * it (pg-errors.ts). Integers come back as numbers (surveyor's ids and counts are far below 2^53). Every write
 * transaction first takes surveyor's advisory lock (see db.ts), so writers on many nodes take turns.
 */
import pg from 'pg';
import { CompiledQuery, Kysely, PostgresDialect, sql } from 'kysely';
import type { Backend } from './db.js';
import { InputError } from '../scanner/errors.js';
import { isTransient, pgStoreError, redactUrl } from './pg-errors.js';

/** The two keys of surveyor's transaction-scoped advisory lock ('surv', 1). */
export const LOCK_KEYS = [0x73757276, 1] as const;

/**
 * Session settings that bound how long the server keeps the session of a node it can no longer reach (a killed
 * host, a cut link): without them a dead node's transaction, and the write lock it holds, lingers until TCP gives up
 * (about 2 h 11 min with Linux's defaults). The server probes an idle connection after 10 s, every 3 s, and closes
 * it after 3 unanswered probes (about 19 s); data it sent that stays unacknowledged for 15 s closes it too. A session
 * closed so frees its locks at once (the rule role's advisory lock among them). All are user-settable (PostgreSQL
 * 20.3.1); a connection string that sets `options` itself keeps its own.
 */
export const SESSION_OPTIONS = '-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=3 -c tcp_keepalives_count=3 -c tcp_user_timeout=15000';

/** The pg connection settings every surveyor session uses (the pool's and the rule role's dedicated one). */
export function pgClientConfig(url: string, connectTimeoutMs = 10_000): pg.ClientConfig {
  const types = {
    getTypeParser: (oid: number, format?: 'text' | 'binary') =>
      (oid === INT8 || oid === NUMERIC ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')),
  };
  const ownOptions = new URL(url).searchParams.has('options');
  return {
    connectionString: url,
    types: types as never,
    connectionTimeoutMillis: connectTimeoutMs,
    application_name: 'surveyor',
    keepAlive: true,
    keepAliveInitialDelayMillis: 5000,
    ...(ownOptions ? {} : { options: SESSION_OPTIONS }),
  };
}
const INT8 = 20;
const NUMERIC = 1700;

export interface PgOpenOptions {
  /** How long a transaction keeps trying to reach a server that is starting, restarting or refusing. @default 120000 */
  readonly busyBudgetMs?: number;
  /** How long one connection attempt may take. @default 10000 */
  readonly connectTimeoutMs?: number;
}

/** The parts of the URL a message may show, and the checked URL; bad URLs are refused without echoing a password. */
export function parsePgUrl(url: string): { location: string; host: string; port: number; database: string; user: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new InputError(`bad --db "${redactUrl(url)}": not a valid URL (expected postgres://user:password@host:port/database)`);
  }
  if (!/^postgres(ql)?:$/i.test(u.protocol)) throw new InputError(`bad --db "${redactUrl(url)}": expected a postgres:// URL`);
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!database || database.includes('/')) throw new InputError(`bad --db "${redactUrl(url)}": name the database after the host (postgres://user:password@host:port/database)`);
  if (!u.hostname) throw new InputError(`bad --db "${redactUrl(url)}": name the server's host (postgres://user:password@host:port/database)`);
  const port = u.port ? Number(u.port) : 5432;
  return { location: redactUrl(url), host: u.hostname, port, database, user: decodeURIComponent(u.username) || '(the default user)' };
}

export function openPostgres(url: string, options: PgOpenOptions = {}): Backend {
  const target = parsePgUrl(url);
  const pool = new pg.Pool({ ...pgClientConfig(url, options.connectTimeoutMs), max: 4, idleTimeoutMillis: 10_000 });
  // An idle connection the server drops (a restart) must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  // Nor may one in use: the pool listens only to idle clients, and kysely holds a client without listening to it. A
  // query stuck on a cut link gets a reset once the link is back (the server closed that session meanwhile), and
  // the client emits 'error' with no listener. The query is rejected regardless, and the pool drops the client
  // when it is released.
  pool.on('connect', (client) => client.on('error', () => {}));
  const kysely = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  const describe = (err: unknown) => pgStoreError(err, target, url);
  const busyBudgetMs = options.busyBudgetMs ?? 120_000;

  const transaction = async <T>(work: (executor: Kysely<unknown>) => Promise<T>): Promise<T> => {
    const deadline = Date.now() + busyBudgetMs;
    for (let pauseMs = 250; ; pauseMs = Math.min(pauseMs * 2, 4000)) {
      let started = false;
      try {
        return await kysely.transaction().execute(async (trx) => {
          await sql`SELECT pg_advisory_xact_lock(${sql.lit(LOCK_KEYS[0])}, ${sql.lit(LOCK_KEYS[1])})`.execute(trx);
          started = true;
          return work(trx);
        });
      } catch (err) {
        // Only a transaction that never reached its work is tried again: nothing of it can have been written.
        if (started || !isTransient(err) || Date.now() + pauseMs >= deadline) throw err;
        await new Promise((r) => setTimeout(r, pauseMs));
      }
    }
  };

  return {
    dialect: 'postgres',
    location: target.location,
    kysely,
    describe,
    transaction,
    script: async (executor, text) => {
      // No parameters: pg sends it as one simple query, which may hold several statements.
      await executor.executeQuery(CompiledQuery.raw(text, []));
    },
    param: (value) => {
      if (value === undefined) return null;
      if (typeof value === 'boolean') return value ? 1 : 0;
      // PostgreSQL text cannot hold NUL (a hostile banner can): it is stored as U+FFFD.
      if (typeof value === 'string' && value.includes('\0')) return value.replace(/\0/g, '\uFFFD');
      return value;
    },
    close: () => kysely.destroy(),
  };
}
