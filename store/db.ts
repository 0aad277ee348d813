/**
 * One way to talk to either database. The store's statements are written once, in the SQL both SQLite and
 * PostgreSQL accept, with kysely's `sql` tag: kysely turns each value into a bound parameter in the dialect's own
 * form (`?` or `$n`) and runs it through its SQLite (better-sqlite3) or PostgreSQL (pg) driver. The few places the
 * dialects differ (JSON paths, a long list of values, column types) are functions in sql.ts and migrations.ts.
 *
 * Writes run in `transaction()`: on SQLite `BEGIN IMMEDIATE` (the database's one write lock, waited for without
 * blocking the event loop); on PostgreSQL a transaction that first takes surveyor's transaction-scoped advisory
 * lock, so writers from many nodes take turns exactly as processes on one SQLite file do, and a rule run's
 * read-then-write (store.ts RunBasis) sees no other writer between its read and its write.
 */
import { CompiledQuery, Kysely, type RawBuilder } from 'kysely';

export type Dialect = 'sqlite' | 'postgres';
export type Row = Record<string, unknown>;
export type Query = RawBuilder<unknown>;

/** Runs statements: the database itself, or one open transaction. */
export interface Queryable {
  readonly dialect: Dialect;
  all<T = Row>(query: Query): Promise<T[]>;
  get<T = Row>(query: Query): Promise<T | undefined>;
  /** Runs a statement that returns no rows; resolves to the number of rows it changed. */
  run(query: Query): Promise<number>;
  /** Runs several statements without parameters (a migration). Only inside a transaction. */
  script(text: string): Promise<void>;
}

export interface Db extends Queryable {
  /** Where the data lives, for messages: a path, or a URL without its password. */
  readonly location: string;
  /** Runs `work` in one transaction holding the write lock, rolling back on any error. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** What differs between the two databases underneath the shared code. */
export interface Backend {
  readonly dialect: Dialect;
  readonly location: string;
  readonly kysely: Kysely<unknown>;
  /** The error a user sees for a failure of this database (codes in words, never a password). */
  describe(err: unknown): unknown;
  /** Runs `work` in a transaction on one connection, holding the write lock. */
  transaction<T>(work: (executor: Kysely<unknown>) => Promise<T>): Promise<T>;
  /** Runs a parameterless multi-statement script on the executor of an open transaction. */
  script(executor: Kysely<unknown>, text: string): Promise<void>;
  /** A parameter as this database's driver takes it (neither driver binds `undefined`, better-sqlite3 no booleans). */
  param(value: unknown): unknown;
  close(): Promise<void>;
}

class Executor implements Queryable {
  constructor(protected readonly backend: Backend, private readonly executor: Kysely<unknown>, private readonly inTransaction: boolean) {}

  get dialect(): Dialect {
    return this.backend.dialect;
  }

  private async execute<T>(query: Query): Promise<{ rows: T[]; changed: number }> {
    const compiled = query.compile(this.executor);
    const params = compiled.parameters.map((p) => this.backend.param(p));
    try {
      const result = await this.executor.executeQuery<T>(CompiledQuery.raw(compiled.sql, params));
      return { rows: result.rows, changed: Number(result.numAffectedRows ?? 0n) };
    } catch (err) {
      throw this.backend.describe(err);
    }
  }

  async all<T = Row>(query: Query): Promise<T[]> {
    return (await this.execute<T>(query)).rows;
  }

  async get<T = Row>(query: Query): Promise<T | undefined> {
    return (await this.execute<T>(query)).rows[0];
  }

  async run(query: Query): Promise<number> {
    return (await this.execute(query)).changed;
  }

  async script(text: string): Promise<void> {
    if (!this.inTransaction) throw new Error('a script runs only inside a transaction');
    try {
      await this.backend.script(this.executor, text);
    } catch (err) {
      throw this.backend.describe(err);
    }
  }
}

export class KyselyDb extends Executor implements Db {
  constructor(backend: Backend) {
    super(backend, backend.kysely, false);
  }

  get location(): string {
    return this.backend.location;
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    try {
      return await this.backend.transaction((executor) => work(new Executor(this.backend, executor, true)));
    } catch (err) {
      throw this.backend.describe(err);
    }
  }

  close(): Promise<void> {
    return this.backend.close();
  }
}
