/**
 * Promise wrappers over the callback API of the `sqlite3` package, one place that runs a transaction, and one
 * place that turns SQLite's result codes into messages (sqlite-errors.ts).
 */
import sqlite3 from 'sqlite3';
import { isBusy, storeError } from './sqlite-errors.js';

export type Row = Record<string, unknown>;

export interface DriverOptions {
  /** Create the file when it does not exist. @default false */
  readonly create?: boolean;
  /** Open without write access. @default false */
  readonly readOnly?: boolean;
  /**
   * Open read-only as a file that cannot change (SQLite's `immutable`): the only way to read a WAL database on a
   * read-only file system, where its -shm file cannot be made. @default false
   */
  readonly immutable?: boolean;
  /**
   * How long a transaction keeps trying to take the write lock from another process, in all (each attempt also
   * waits SQLite's busy timeout of 5 s), before it gives up with "another process holds ...". @default 120000
   */
  readonly busyBudgetMs?: number;
}

export class SqliteDriver {
  private constructor(
    private readonly db: sqlite3.Database,
    readonly path: string,
    private readonly busyBudgetMs: number,
  ) {}

  static open(path: string, options: DriverOptions = {}): Promise<SqliteDriver> {
    const mode = options.immutable ? sqlite3.OPEN_READONLY | sqlite3.OPEN_URI
      : options.readOnly ? sqlite3.OPEN_READONLY : sqlite3.OPEN_READWRITE | (options.create ? sqlite3.OPEN_CREATE : 0);
    const name = options.immutable ? `file:${encodeURI(path).replace(/\?/g, '%3f').replace(/#/g, '%23')}?immutable=1` : path;
    return new Promise((resolve, reject) => {
      const db = new sqlite3.Database(name, mode, (err) =>
        err ? reject(storeError(err, path)) : resolve(new SqliteDriver(db, path, options.busyBudgetMs ?? 120_000)));
    });
  }

  private wrap<T>(work: (done: (err: Error | null, value?: T) => void) => void): Promise<T> {
    return new Promise((resolve, reject) => work((err, value) => (err ? reject(storeError(err, this.path)) : resolve(value as T))));
  }

  exec(sql: string): Promise<void> {
    return this.wrap((done) => this.db.exec(sql, (err) => done(err)));
  }

  run(sql: string, params: unknown[] = []): Promise<{ lastID: number; changes: number }> {
    return this.wrap((done) =>
      this.db.run(sql, params, function (this: sqlite3.RunResult, err: Error | null) {
        done(err, err ? undefined : { lastID: this.lastID, changes: this.changes });
      }));
  }

  get<T = Row>(sql: string, params: unknown[] = []): Promise<T | undefined> {
    return this.wrap((done) => this.db.get(sql, params, (err, row) => done(err, row as T | undefined)));
  }

  all<T = Row>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.wrap((done) => this.db.all(sql, params, (err, rows) => done(err, rows as T[])));
  }

  /**
   * Runs `work` inside BEGIN IMMEDIATE ... COMMIT, rolling back on any error. Calls are chained so two
   * transactions on this connection never interleave. When another process holds the write lock, the
   * transaction is tried again with growing pauses until `busyBudgetMs` is spent: a batch waits, it is never
   * dropped; past the budget the caller gets the "another process holds" error and decides what to stop.
   */
  transaction<T>(work: () => Promise<T>): Promise<T> {
    const next = this.chain.then(async () => {
      const deadline = Date.now() + this.busyBudgetMs;
      for (let pauseMs = 100; ; pauseMs = Math.min(pauseMs * 2, 2000)) {
        try {
          await this.exec('BEGIN IMMEDIATE');
        } catch (err) {
          if (isBusy(err) && Date.now() + pauseMs < deadline) {
            await new Promise((r) => setTimeout(r, pauseMs));
            continue;
          }
          throw err;
        }
        try {
          const result = await work();
          await this.exec('COMMIT');
          return result;
        } catch (err) {
          await this.exec('ROLLBACK').catch(() => {});
          throw err;
        }
      }
    });
    this.chain = next.then(() => undefined, () => undefined);
    return next;
  }

  private chain: Promise<void> = Promise.resolve();

  close(): Promise<void> {
    return this.wrap((done) => this.db.close((err) => done(err)));
  }
}
