/** Picks the store implementation from `--db`: a postgres:// URL or a SQLite file path. */
import { InputError } from '../scanner/errors.js';
import { SqliteStore } from './sqlite-store.js';
export { NoDatabaseError } from './sqlite-inspect.js';
import type { Store } from './store.js';

export const DEFAULT_DB = './surveyor.db';

/** The database location from `--db`, else `SURVEYOR_DB`, else `./surveyor.db`. */
export function resolveDbLocation(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const location = flag ?? env.SURVEYOR_DB ?? DEFAULT_DB;
  if (location.trim() === '') throw new InputError('bad --db "": give a file path or a postgres:// URL');
  return location;
}

export interface OpenOptions {
  /**
   * Create the database when there is none: only for commands that record something (scan, creds add, directory
   * scan, rules store, workgroups add). Commands that read refuse a missing database, naming the path.
   * @default false
   */
  readonly create?: boolean;
}

export async function openStore(location: string, options: OpenOptions = {}): Promise<Store> {
  if (/^postgres(ql)?:\/\//i.test(location)) {
    throw new InputError('the PostgreSQL store is not available in this version: use a SQLite file path for --db');
  }
  return SqliteStore.open(location, { create: options.create });
}
