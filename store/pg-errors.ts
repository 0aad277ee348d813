/**
 * PostgreSQL failures in words, as sqlite-errors.ts does for SQLite: which server, what went wrong, what to do,
 * and whether it is the user's input (exit 2: a wrong password, a database that is not there) or the world's
 * (exit 1: a server that does not answer, a read-only standby). The URL's password never reaches a message: it is
 * cut out of the URL, and out of any server or driver text that might echo it.
 */
import { InputError, SurveyorError } from '../scanner/errors.js';
import { NoDatabaseError } from './sqlite-inspect.js';

export interface PgTarget {
  readonly location: string;
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
}

/** The URL without its password (`postgres://user@host:port/db`); unparsable text loses everything after `//`'s user. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '';
    return u.toString().replace(/^(postgres(?:ql)?:\/\/[^@/]*?):@/i, '$1@');
  } catch {
    return url.replace(/(\/\/[^:/@]*):[^@]*@/, '$1:[redacted]@');
  }
}

function password(url: string): string {
  try {
    return decodeURIComponent(new URL(url).password);
  } catch {
    return /\/\/[^:/@]*:([^@]*)@/.exec(url)?.[1] ?? '';
  }
}

interface PgFailure extends Error {
  readonly code?: string;
  readonly detail?: string;
}

/** Network and server-state failures that a later attempt may not meet (a restart, a full connection table). */
export function isTransient(err: unknown): boolean {
  const code = (err as PgFailure)?.code ?? (err as SurveyorError)?.context?.code;
  return typeof code === 'string' && (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', '57P01', '57P02', '57P03', '53300'].includes(code)
    || code.startsWith('08'));
}

/** The error a user sees for a PostgreSQL failure: a SurveyorError in words, the password never in it. */
export function pgStoreError(err: unknown, t: PgTarget, url: string): unknown {
  if (err instanceof SurveyorError) return err;
  const secret = password(url);
  const clean = (text: string) => (secret ? text.split(secret).join('[redacted]') : text).split(url).join(t.location);
  const e = err as PgFailure;
  const code = e?.code ?? '';
  const detail = clean(String(e?.message ?? err));
  const server = `PostgreSQL at ${t.host}:${t.port}`;
  const store = (message: string) => new SurveyorError('store', clean(message), { location: t.location, code });
  switch (code) {
    case 'ECONNREFUSED': return store(`cannot reach ${server}: connection refused (is the server running and listening on that address and port?)`);
    case 'ENOTFOUND': case 'EAI_AGAIN': return store(`cannot reach ${server}: the host name does not resolve`);
    case 'ETIMEDOUT': case 'EHOSTUNREACH': case 'ENETUNREACH': return store(`cannot reach ${server}: ${detail}`);
    case '28P01': case '28000':
      return new InputError(clean(`${server} refused the login of user "${t.user}" to database "${t.database}": ${detail} (check the user and password in --db or SURVEYOR_DB)`), { location: t.location, code });
    case '3D000':
      return new NoDatabaseError(clean(`no database "${t.database}" on ${server}: create it first (e.g. createdb -O ${t.user} ${t.database}); surveyor makes its tables, not the database`));
    case '25006': return store(`the PostgreSQL database ${t.location} is read-only (a standby, or default_transaction_read_only is on): cannot write to it`);
    case '42501': return store(`user "${t.user}" may not do this in ${t.location}: ${detail} (grant it the rights on the database, or give surveyor a database it owns)`);
    case '53100': return store(`the disk of ${server} is full: cannot write to ${t.location} (what was committed before is kept)`);
    case '53300': return store(`${server} has no connection left for surveyor: ${detail}`);
    case '57P01': case '57P02': case '57P03': return store(`${server} is shutting down or starting: ${detail}`);
  }
  if (code.startsWith('08') || /Connection terminated|connection timeout|timeout expired/i.test(detail)) {
    return store(`the connection to ${server} failed: ${detail}`);
  }
  return store(`${t.location}: ${detail}${code ? ` (SQLSTATE ${code})` : ''}`);
}
