/** Picks the store implementation from `--db`: a postgres:// URL or a SQLite file path. */
import { InputError } from '../scanner/errors.js';
import { SqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

export const DEFAULT_DB = './surveyor.db';

/** The database location from `--db`, else `SURVEYOR_DB`, else `./surveyor.db`. */
export function resolveDbLocation(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const location = flag ?? env.SURVEYOR_DB ?? DEFAULT_DB;
  if (location.trim() === '') throw new InputError('bad --db "": give a file path or a postgres:// URL');
  return location;
}

export async function openStore(location: string): Promise<Store> {
  if (/^postgres(ql)?:\/\//i.test(location)) {
    throw new InputError('the PostgreSQL store is not available in this version: use a SQLite file path for --db');
  }
  return SqliteStore.open(location);
}
