/**
 * The embedded database: one SQLite file through better-sqlite3, in WAL mode. better-sqlite3 runs each statement
 * synchronously, so its busy handler (which sleeps in the calling thread) is kept short, and waiting for another
 * process's write lock happens here, between attempts, with the event loop free: a scan's probes keep their
 * timing while its batch waits. Transactions of this process take turns on its one connection.
 */
import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Kysely, SqliteDialect } from 'kysely';
import type { Backend } from './db.js';
import { isBusy, storeError } from './sqlite-errors.js';

export interface SqliteOpenOptions {
  /** Create the file when it does not exist. @default false */
  readonly create?: boolean;
  /**
   * Read a copy: for a database that cannot be written (a read-only file system, where its -shm file cannot be
   * made). The file and its -wal are copied into a temporary folder, removed on close. @default false
   */
  readonly readCopy?: boolean;
  /**
   * How long a transaction keeps trying to take the write lock from another process, in all, before it gives up
   * with "another process holds ...". @default 120000
   */
  readonly busyBudgetMs?: number;
}

/** How long one statement waits, blocking, for a lock before SQLITE_BUSY comes back to the retry loop. */
const BUSY_TIMEOUT_MS = 50;

export function openSqlite(path: string, options: SqliteOpenOptions = {}): Backend & { readonly raw: Database.Database } {
  let copyDir: string | undefined;
  let file = path;
  if (options.readCopy) {
    copyDir = mkdtempSync(join(tmpdir(), 'surveyor-read-'));
    file = join(copyDir, basename(path));
    copyFileSync(path, file);
    if (existsSync(`${path}-wal`)) copyFileSync(`${path}-wal`, `${file}-wal`);
  }
  let raw: Database.Database;
  try {
    raw = new Database(file, { fileMustExist: !options.create, readonly: options.readCopy === true, timeout: BUSY_TIMEOUT_MS });
    raw.pragma('foreign_keys = ON');
  } catch (err) {
    if (copyDir) rmSync(copyDir, { recursive: true, force: true });
    throw storeError(err, path);
  }
  const kysely = new Kysely<unknown>({ dialect: new SqliteDialect({ database: raw }) });
  const busyBudgetMs = options.busyBudgetMs ?? 120_000;
  let chain: Promise<void> = Promise.resolve();

  const transaction = <T>(work: (executor: Kysely<unknown>) => Promise<T>): Promise<T> => {
    const next = chain.then(async () => {
      const deadline = Date.now() + busyBudgetMs;
      for (let pauseMs = 50; ; pauseMs = Math.min(pauseMs * 2, 1000)) {
        try {
          raw.exec('BEGIN IMMEDIATE');
          break;
        } catch (err) {
          if (!isBusy(err) || Date.now() + pauseMs >= deadline) throw err;
          await new Promise((r) => setTimeout(r, pauseMs));
        }
      }
      try {
        const result = await work(kysely);
        raw.exec('COMMIT');
        return result;
      } catch (err) {
        if (raw.inTransaction) raw.exec('ROLLBACK');
        throw err;
      }
    });
    chain = next.then(() => undefined, () => undefined);
    return next;
  };

  return {
    dialect: 'sqlite',
    location: path,
    kysely,
    raw,
    describe: (err) => storeError(err, path),
    transaction,
    script: async (_executor, text) => {
      raw.exec(text);
    },
    param: (value) => (value === undefined ? null : typeof value === 'boolean' ? (value ? 1 : 0) : value),
    close: async () => {
      await chain;
      if (raw.open) raw.close();
      if (copyDir) rmSync(copyDir, { recursive: true, force: true });
    },
  };
}
