/**
 * What a --db path holds, found before anything is written to it: nothing, a folder, a file of another kind, an
 * empty SQLite file, another application's database, or surveyor's with its schema version. A database that
 * surveyor will refuse is never switched to WAL or given tables first.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { InputError } from '../scanner/errors.js';

/** --db names no surveyor database and the command may not create one. */
export class NoDatabaseError extends InputError {}

const SQLITE_MAGIC = 'SQLite format 3\0';

export type DbFile = { kind: 'missing' } | { kind: 'empty-file' } | { kind: 'sqlite' };

/** Classifies the path without opening it as a database; refuses folders and non-SQLite files (exit 2). */
export function inspectDbFile(path: string): DbFile {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new InputError(`bad --db "${path}": it is a folder, not a database file`);
    size = st.size;
  } catch (err) {
    if (err instanceof InputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      try {
        if (!statSync(dirname(path)).isDirectory()) throw new Error('not a folder');
      } catch {
        throw new InputError(`bad --db "${path}": its folder ${dirname(path)} does not exist`);
      }
      return { kind: 'missing' };
    }
    throw new InputError(`bad --db "${path}": cannot be read (${code ?? (err as Error).message})`);
  }
  if (size === 0) return { kind: 'empty-file' };
  const header = Buffer.alloc(16);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, header, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  if (header.toString('latin1') !== SQLITE_MAGIC) throw new InputError(`bad --db "${path}": it is not a SQLite database (no SQLite header)`);
  return { kind: 'sqlite' };
}

/** Refuses a database (SQLite or PostgreSQL) that holds tables but is not surveyor's (it would silently get surveyor's tables). */
export function checkOwnDatabase(path: string, tables: readonly string[], kind: 'SQLite' | 'PostgreSQL' = 'SQLite'): void {
  const user = tables.filter((t) => !t.startsWith('sqlite_'));
  if (user.length === 0 || user.includes('schema_migrations')) return;
  const shown = user.slice(0, 5).join(', ') + (user.length > 5 ? `, ... (${user.length} tables)` : '');
  throw new InputError(`bad --db "${path}": it is another application's ${kind} database (tables: ${shown}); surveyor leaves it alone: give a new file or surveyor's database`);
}
