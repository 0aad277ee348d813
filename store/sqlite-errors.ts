/**
 * SQLite's result codes in words: a user told "SQLITE_BUSY" with a stack trace learns nothing; "another process
 * holds ./surveyor.db" says what to do. One table, used by every statement the driver runs.
 */
import { SurveyorError } from '../scanner/errors.js';

const busy = (p: string) => `another process holds ${p} (it is writing to it); try again when it has finished`;

const MEANINGS: Record<string, (path: string, detail: string) => string> = {
  SQLITE_BUSY: busy,
  SQLITE_LOCKED: busy,
  SQLITE_FULL: (p) => `the disk is full: cannot write ${p} (free some space; what was committed before is kept)`,
  SQLITE_READONLY: (p) => `the database ${p} is read-only (the file, its folder or the file system): cannot write to it`,
  SQLITE_CORRUPT: (p, d) => `the database is damaged: ${p}: ${d} (restore it from a backup; "sqlite3 ${p} .recover" may save its rows)`,
  SQLITE_NOTADB: (p) => `the database is damaged or not a SQLite file: ${p}`,
  SQLITE_IOERR: (p, d) => `cannot read or write ${p}: ${d}`,
  SQLITE_CANTOPEN: (p) => `cannot open ${p} (check that it and its folder exist and can be read and written)`,
  SQLITE_PERM: (p) => `no permission to use ${p}`,
};

export interface SqliteFailure extends Error {
  readonly code?: string;
  readonly errno?: number;
}

/** The error a user sees for a SQLite failure: a SurveyorError with the cause in words, or the error unchanged. */
export function storeError(err: unknown, path: string): unknown {
  if (err instanceof SurveyorError) return err;
  const code = (err as SqliteFailure)?.code ?? '';
  const base = /^SQLITE_[A-Z]+/.exec(code)?.[0];
  const meaning = base ? MEANINGS[base] : undefined;
  if (!meaning) return err;
  const detail = String((err as Error).message ?? '').replace(/^SQLITE_[A-Z_]+:\s*/, '');
  return new SurveyorError('store', meaning(path, detail), { path, code });
}

/** Whether the failure is another connection holding the write lock (worth waiting for). */
export function isBusy(err: unknown): boolean {
  const code = (err as SqliteFailure)?.code ?? (err as SurveyorError)?.context?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}
