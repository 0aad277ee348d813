/**
 * What the database collectors share: the instance an account belongs to, the options of one enumeration, the
 * record they return, and how a driver's error becomes a status. A collector logs in exactly once (no retry with
 * the same credential, so a refused one cannot lock an account out), reads the catalogs, and never throws for what
 * the server does. No query reads a password hash, and no note or fact holds a secret.
 */
import { ProbeError } from '../../probes/core/outcome.js';
import type { Credential } from '../../vault/credentials.js';
import type { AccountObservation, EnumerationRecord, Fact } from '../types.js';

export const DATABASE_METHODS = ['mysql', 'postgres', 'mssql'] as const;
export type DatabaseMethod = (typeof DATABASE_METHODS)[number];

/** The database server an account belongs to: where it listens, what it is, and the version its login reported. */
export interface DatabaseInstance {
  readonly address: string;
  readonly port: number;
  /** MariaDB, MySQL, PostgreSQL, Microsoft SQL Server */
  readonly product: string;
  /** The version as a dotted number (10.11.19, 15.18, 16.0.1000.6); the full text is in the `instance` fact. */
  readonly version: string;
}

export interface DatabaseEnumerateOptions {
  readonly address: string;
  readonly port: number;
  readonly credential: Credential;
  /** Budget to connect and log in; each catalog query gets it again. */
  readonly timeoutMs: number;
}

/**
 * The flags every database account carries in `details` besides its instance (rules read them as
 * `database.*`); a product adds its own beside them.
 */
export interface DatabaseAccountDetails {
  readonly instance: DatabaseInstance;
  /** The account can log in (a login, not a role or group). */
  readonly login: boolean;
  /** Locked or disabled by the server (MySQL ACCOUNT LOCK, MSSQL disabled login). */
  readonly locked: boolean;
  readonly passwordExpired: boolean;
  /** When the password (PostgreSQL: the role's VALID UNTIL) expires; null when it never does or nobody knows. */
  readonly passwordExpires: string | null;
  /** Privileges and attributes the account holds itself (SUPER, FILE, SUPERUSER, CREATEROLE, CONTROL SERVER ...). */
  readonly privileges: readonly string[];
  /** Roles the account is in, nested ones included (MySQL roles, PostgreSQL roles, MSSQL server roles). */
  readonly roles: readonly string[];
}

/** The `instance` fact: the instance and the version text the server gave, with the query it came from. */
export function instanceFact(source: string, instance: DatabaseInstance, versionText: string, more: Record<string, unknown> = {}): Fact {
  return { source, value: { ...instance, versionText, ...more } };
}

/** A record for a login that failed before anything was read. */
export function failedRecord(method: DatabaseMethod, o: DatabaseEnumerateOptions, err: ProbeError, started: number): EnumerationRecord {
  return { method, port: o.port, credential: o.credential.name, status: err.status, notes: [err.message], facts: {}, accounts: [], elapsedMs: performance.now() - started };
}

export function successRecord(
  method: DatabaseMethod, o: DatabaseEnumerateOptions, facts: Record<string, Fact>, accounts: AccountObservation[], notes: string[], started: number,
): EnumerationRecord {
  return { method, port: o.port, credential: o.credential.name, status: 'success', notes, facts, accounts, elapsedMs: performance.now() - started };
}

/** The first dotted number of a version text ("15.18 (Debian 15.18-0+deb12u1)" gives 15.18). */
export function dottedVersion(text: string): string {
  return /\d+(?:\.\d+)*/.exec(text)?.[0] ?? text.trim();
}

/** The password of a database credential; one without (a key credential) cannot log in to a database. */
export function passwordOf(c: Credential): string {
  const password = c.secrets.password?.reveal();
  if (password === undefined) throw new ProbeError('unsupported', `credential ${c.name} holds no password (a database login needs one)`);
  return password;
}

/**
 * A driver's connection error as a status: refused, timeout, auth-failed (the server said the login or password
 * is wrong), access-denied (it knows the login but refuses it here), or protocol-error. The message is the
 * driver's first line, which names neither the password nor anything derived from it.
 */
export function connectionError(err: unknown, where: string, authFailed: (e: { code?: unknown; number?: unknown; message: string }) => boolean, denied: (e: { code?: unknown; number?: unknown; message: string }) => boolean = () => false): ProbeError {
  if (err instanceof ProbeError) return err;
  const e = (err ?? {}) as { code?: unknown; number?: unknown; message?: string; errors?: unknown[] };
  const inner = Array.isArray(e.errors) && e.errors.length ? (e.errors[0] as { code?: unknown; message?: string }) : undefined;
  const code = String(e.code ?? inner?.code ?? '');
  const text = String(e.message || inner?.message || err).split('\n')[0]!.slice(0, 300);
  const view = { code: e.code, number: e.number, message: text };
  if (code === 'ECONNREFUSED') return new ProbeError('refused', `${where}: connection refused`);
  if (code === 'ETIMEDOUT' || code === 'ETIMEOUT' || /timeout|timed out/i.test(text)) return new ProbeError('timeout', `${where}: ${text}`);
  if (authFailed(view)) return new ProbeError('auth-failed', `${where}: ${text}`);
  if (denied(view)) return new ProbeError('access-denied', `${where}: ${text}`);
  if (code === 'ECONNRESET' || code === 'EPIPE') return new ProbeError('protocol-error', `${where}: the server closed the connection (${code})`);
  return new ProbeError('protocol-error', `${where}: ${text}`);
}

/** Runs `fn` but gives up after `ms` with a timeout status (a driver that never answers a query). */
export async function within<T>(ms: number, what: string, fn: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      fn(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new ProbeError('timeout', `${what} took longer than ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Every role reachable from `start` through `edges` (member to the roles it is granted), each with the path of
 * roles in between (empty for a direct grant); breadth first, so each role is reached by its shortest path, and a
 * cycle ends.
 */
export function reachableRoles(start: string, edges: ReadonlyMap<string, readonly string[]>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let frontier: Array<{ role: string; via: string[] }> = (edges.get(start) ?? []).map((role) => ({ role, via: [] }));
  while (frontier.length) {
    const next: Array<{ role: string; via: string[] }> = [];
    for (const { role, via } of frontier) {
      if (out.has(role) || role === start) continue;
      out.set(role, via);
      for (const r of edges.get(role) ?? []) next.push({ role: r, via: [...via, role] });
    }
    frontier = next;
  }
  return out;
}

/** "member of X", or "member of X via A > B" when the grant reaches it through other roles. */
export function viaText(via: readonly string[]): string {
  return via.length ? ` via ${via.join(' > ')}` : '';
}
