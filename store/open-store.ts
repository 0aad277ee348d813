/** Picks the store implementation from `--db`: a postgres:// URL or a SQLite file path. */
import { InputError } from '../scanner/errors.js';
import { SqlStore } from './sql-store.js';
import { redactUrl } from './pg-errors.js';
export { NoDatabaseError } from './sqlite-inspect.js';
import type { Store } from './store.js';

export const DEFAULT_DB = './surveyor.db';

/** The database location from `--db`, else `SURVEYOR_DB`, else `./surveyor.db`. */
export function resolveDbLocation(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const location = flag ?? env.SURVEYOR_DB ?? DEFAULT_DB;
  if (location.trim() === '') throw new InputError('bad --db "": give a file path or a postgres:// URL');
  return location;
}

/** Whether `--db` names a PostgreSQL database rather than a SQLite file. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/** The location as messages may show it: a URL's password is cut out. */
export function displayLocation(location: string): string {
  return isPostgresUrl(location) ? redactUrl(location) : location;
}

export interface OpenOptions {
  /**
   * Create the database when there is none: only for commands that record something (scan, creds add, directory
   * scan, rules store, workgroups add). Commands that read refuse a missing database, naming the path.
   * On PostgreSQL the database itself must exist; `create` makes surveyor's tables in it.
   * @default false
   */
  readonly create?: boolean;
}

export async function openStore(location: string, options: OpenOptions = {}): Promise<Store> {
  return isPostgresUrl(location)
    ? SqlStore.openPostgres(location, { create: options.create })
    : SqlStore.openSqlite(location, { create: options.create });
}
