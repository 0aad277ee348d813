/** Promise wrappers over the callback API of the `sqlite3` package, and one place that runs a transaction. */
import sqlite3 from 'sqlite3';

export type Row = Record<string, unknown>;

export class SqliteDriver {
  private constructor(private readonly db: sqlite3.Database) {}

  static open(path: string): Promise<SqliteDriver> {
    return new Promise((resolve, reject) => {
      const db = new sqlite3.Database(path, (err) => (err ? reject(err) : resolve(new SqliteDriver(db))));
    });
  }

  exec(sql: string): Promise<void> {
    return new Promise((resolve, reject) => this.db.exec(sql, (err) => (err ? reject(err) : resolve())));
  }

  run(sql: string, params: unknown[] = []): Promise<{ lastID: number; changes: number }> {
    return new Promise((resolve, reject) =>
      this.db.run(sql, params, function (this: sqlite3.RunResult, err: Error | null) {
        if (err) reject(err);
        else resolve({ lastID: this.lastID, changes: this.changes });
      }),
    );
  }

  get<T = Row>(sql: string, params: unknown[] = []): Promise<T | undefined> {
    return new Promise((resolve, reject) => this.db.get(sql, params, (err, row) => (err ? reject(err) : resolve(row as T | undefined))));
  }

  all<T = Row>(sql: string, params: unknown[] = []): Promise<T[]> {
    return new Promise((resolve, reject) => this.db.all(sql, params, (err, rows) => (err ? reject(err) : resolve(rows as T[]))));
  }

  /**
   * Runs `work` inside BEGIN IMMEDIATE ... COMMIT, rolling back on any error. Calls are chained so two
   * transactions on this connection never interleave.
   */
  transaction<T>(work: () => Promise<T>): Promise<T> {
    const next = this.chain.then(async () => {
      await this.exec('BEGIN IMMEDIATE');
      try {
        const result = await work();
        await this.exec('COMMIT');
        return result;
      } catch (err) {
        await this.exec('ROLLBACK').catch(() => {});
        throw err;
      }
    });
    this.chain = next.then(() => undefined, () => undefined);
    return next;
  }

  private chain: Promise<void> = Promise.resolve();

  close(): Promise<void> {
    return new Promise((resolve, reject) => this.db.close((err) => (err ? reject(err) : resolve())));
  }
}
