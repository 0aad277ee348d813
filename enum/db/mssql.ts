/**
 * Microsoft SQL Server logins over one tedious login (SQL authentication): the server principals, who is in which
 * server role (nested roles followed), the server-level permissions, and for SQL logins the password policy and
 * expiry (LOGINPROPERTY). A login is privileged when it is in sysadmin, securityadmin or serveradmin, or holds
 * CONTROL SERVER or IMPERSONATE ANY LOGIN (itself, through a server role, or through `public`, which every login is
 * in). Server roles are not accounts: a login's roles are in `details.roles`. No query reads a password hash
 * (sys.sql_logins is joined for its policy flags only).
 *
 * The queries convert every value to nvarchar or int, so that a reply holds two column types; the replay test
 * (test/db-tds.test.ts) answers them with TDS tokens built from [MS-TDS].
 *
 * The login is encrypted: TLS as tedious negotiates it (`encrypt: true`, the certificate checked against the
 * system's CAs or the given ones, and the name), unless a caller turns it off (the replay test; a real server in
 * the opt-in test). tedious connects only to the address given (a routing answer is not followed: the connection
 * is closed and the record says so) and makes one login attempt (no retry on "transient" errors).
 */
import * as net from 'node:net';
import type { Connection } from 'tedious';
import { ProbeError } from '../../probes/core/outcome.js';
import type { AccountObservation, EnumerationRecord } from '../types.js';
import {
  connectionError, DatabaseAccountDetails, DatabaseEnumerateOptions, DatabaseInstance, dottedVersion, failedRecord, instanceFact, passwordOf,
  reachableRoles, successRecord, viaText, within,
} from './types.js';

export const MSSQL_PRIVILEGED_ROLES = ['sysadmin', 'securityadmin', 'serveradmin'] as const;
export const MSSQL_PRIVILEGED_PERMISSIONS = ['CONTROL SERVER', 'IMPERSONATE ANY LOGIN'] as const;
/** The server role every login is in without a row in sys.server_role_members. */
const PUBLIC_ID = 2;

export const MSSQL_QUERIES = {
  version: "SELECT CAST(SERVERPROPERTY('ProductVersion') AS nvarchar(128)) AS version, CAST(@@VERSION AS nvarchar(1024)) AS full_version, "
    + "CAST(SERVERPROPERTY('Edition') AS nvarchar(128)) AS edition",
  principals: 'SELECT CAST(p.principal_id AS int) AS principal_id, CAST(p.name AS nvarchar(128)) AS name, CAST(p.type AS nvarchar(2)) AS type, '
    + 'CAST(p.is_disabled AS int) AS is_disabled, CONVERT(nvarchar(200), p.sid, 1) AS sid, CAST(l.is_policy_checked AS int) AS is_policy_checked, '
    + 'CAST(l.is_expiration_checked AS int) AS is_expiration_checked, '
    + "CAST(LOGINPROPERTY(p.name, 'IsLocked') AS int) AS is_locked, CAST(LOGINPROPERTY(p.name, 'IsExpired') AS int) AS is_expired, "
    + "CAST(LOGINPROPERTY(p.name, 'IsMustChange') AS int) AS must_change, CAST(LOGINPROPERTY(p.name, 'DaysUntilExpiration') AS int) AS days_until_expiration, "
    + "CONVERT(nvarchar(33), DATEADD(minute, DATEDIFF(minute, GETDATE(), GETUTCDATE()), CAST(LOGINPROPERTY(p.name, 'PasswordLastSetTime') AS datetime)), 126) AS password_last_set, "
    + 'CONVERT(nvarchar(33), DATEADD(minute, DATEDIFF(minute, GETDATE(), GETUTCDATE()), p.create_date), 126) AS create_date, '
    + 'CAST(p.default_database_name AS nvarchar(128)) AS default_database '
    + "FROM sys.server_principals p LEFT JOIN sys.sql_logins l ON l.principal_id = p.principal_id WHERE p.type IN ('S', 'U', 'G', 'C', 'K', 'E', 'X', 'R')",
  roleMembers: 'SELECT CAST(role_principal_id AS int) AS role_id, CAST(member_principal_id AS int) AS member_id FROM sys.server_role_members',
  permissions: 'SELECT CAST(grantee_principal_id AS int) AS grantee_id, CAST(permission_name AS nvarchar(128)) AS permission, CAST(state AS nvarchar(1)) AS state '
    + "FROM sys.server_permissions WHERE class = 100 AND state IN ('G', 'W')",
} as const;

const LOGIN_TYPES: Readonly<Record<string, string>> = {
  S: 'SQL login', U: 'Windows login', G: 'Windows group', C: 'certificate-mapped login', K: 'asymmetric-key-mapped login',
  E: 'external login', X: 'external group',
};

export interface MssqlPrincipal {
  readonly id: number;
  readonly name: string;
  /** S, U, G, C, K, E, X (logins) or R (a server role). */
  readonly type: string;
  readonly disabled: boolean;
  readonly sid: string | null;
  /** SQL logins: CHECK_POLICY and CHECK_EXPIRATION; null for others. */
  readonly policyChecked: boolean | null;
  readonly expirationChecked: boolean | null;
  readonly locked: boolean | null;
  readonly expired: boolean | null;
  readonly mustChange: boolean | null;
  readonly daysUntilExpiration: number | null;
  readonly passwordLastSet: string | null;
  readonly createDate: string | null;
  readonly defaultDatabase: string | null;
}

export interface MssqlCatalog {
  readonly instance: DatabaseInstance;
  readonly principals: readonly MssqlPrincipal[];
  readonly roleMembers: ReadonlyArray<{ readonly roleId: number; readonly memberId: number }>;
  readonly permissions: ReadonlyArray<{ readonly granteeId: number; readonly permission: string; readonly withGrant: boolean }>;
  readonly now: Date;
}

type Row = Record<string, unknown>;
const int = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const bool = (v: unknown): boolean | null => (v === null || v === undefined ? null : Number(v) !== 0);
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
/** A UTC time from CONVERT(..., 126), which has no zone. */
const utc = (v: unknown): string | null => {
  const s = str(v);
  if (!s) return null;
  const t = Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(s) ? s : `${s}Z`);
  return Number.isNaN(t) ? s : new Date(t).toISOString();
};

export function principalOf(r: Row): MssqlPrincipal {
  return {
    id: Number(r.principal_id), name: String(r.name), type: String(r.type ?? '').trim(), disabled: bool(r.is_disabled) ?? false, sid: str(r.sid),
    policyChecked: bool(r.is_policy_checked), expirationChecked: bool(r.is_expiration_checked), locked: bool(r.is_locked), expired: bool(r.is_expired),
    mustChange: bool(r.must_change), daysUntilExpiration: int(r.days_until_expiration), passwordLastSet: utc(r.password_last_set),
    createDate: utc(r.create_date), defaultDatabase: str(r.default_database),
  };
}

export function mssqlAccounts(c: MssqlCatalog, source: string): AccountObservation[] {
  const byId = new Map(c.principals.map((p) => [String(p.id), p]));
  const edges = new Map<string, string[]>();
  for (const m of c.roleMembers) edges.set(String(m.memberId), [...(edges.get(String(m.memberId)) ?? []), String(m.roleId)]);
  const permsOf = new Map<string, string[]>();
  for (const p of c.permissions) permsOf.set(String(p.granteeId), [...(permsOf.get(String(p.granteeId)) ?? []), p.permission]);
  const privilegedPerms = (id: string) => (permsOf.get(id) ?? []).filter((p) => (MSSQL_PRIVILEGED_PERMISSIONS as readonly string[]).includes(p));
  const out: AccountObservation[] = [];
  for (const p of c.principals) {
    if (p.type === 'R' || !LOGIN_TYPES[p.type]) continue;
    const id = String(p.id);
    const reached = reachableRoles(id, edges);
    const roleName = (rid: string) => byId.get(rid)?.name ?? `principal ${rid}`;
    const reasons: string[] = [];
    for (const [rid, via] of reached) {
      const name = roleName(rid);
      const path = via.map(roleName);
      if ((MSSQL_PRIVILEGED_ROLES as readonly string[]).includes(name)) reasons.push(`member of ${name}${viaText(path)}`);
    }
    reasons.push(...privilegedPerms(id));
    for (const [rid, via] of [...reached, ...(reached.has(String(PUBLIC_ID)) || p.id === PUBLIC_ID ? [] : [[String(PUBLIC_ID), []] as [string, string[]]])]) {
      for (const perm of privilegedPerms(rid)) reasons.push(`${perm} via role ${[...via.map(roleName), roleName(rid) === `principal ${PUBLIC_ID}` ? 'public' : roleName(rid)].join(' > ')}`);
    }
    const sqlLogin = p.type === 'S';
    const expires = sqlLogin && p.expirationChecked && p.daysUntilExpiration !== null && p.daysUntilExpiration >= 0
      ? new Date(c.now.getTime() + p.daysUntilExpiration * 86_400_000).toISOString() : null;
    const details: DatabaseAccountDetails & Record<string, unknown> = {
      instance: c.instance, login: true, locked: p.locked === true || p.disabled, passwordExpired: p.expired === true, passwordExpires: expires,
      privileges: (permsOf.get(id) ?? []).filter((x) => x !== 'CONNECT SQL').sort(), roles: [...reached.keys()].map(roleName).sort(),
      type: LOGIN_TYPES[p.type], sid: p.sid, disabled: p.disabled,
      ...(sqlLogin ? { policyChecked: p.policyChecked, expirationChecked: p.expirationChecked, mustChange: p.mustChange, daysUntilExpiration: p.daysUntilExpiration } : {}),
      createDate: p.createDate, defaultDatabase: p.defaultDatabase,
    };
    out.push({
      kind: 'database',
      key: `mssql:${c.instance.port}:${p.name}`,
      name: p.name,
      uid: p.sid ?? undefined,
      privileged: reasons.length > 0,
      reasons,
      enabled: !p.disabled && p.locked !== true,
      passwordLastSet: p.passwordLastSet ?? undefined,
      details,
      source,
    });
  }
  return out;
}

export interface MssqlOptions extends DatabaseEnumerateOptions {
  /**
   * TLS: `true` (tedious negotiates it; refused if the server offers none), `strict` (TDS 8), or `false` (no TLS:
   * the login's password is only obfuscated; for the replay test and an admin's own opt-in). @default true
   */
  readonly encrypt?: boolean | 'strict';
  /** CA certificates the server's certificate must chain to (default: the system's). */
  readonly ca?: Buffer;
  /** The name the certificate must carry (default: the address). */
  readonly serverName?: string;
  /** Accept any certificate (the opt-in real-server test only). @default false */
  readonly trustServerCertificate?: boolean;
}

/** tedious, loaded on first use: with its Azure dependencies it takes about a second to load, which no other command should pay. */
let loaded: Promise<typeof import('tedious')> | undefined;
const loadTedious = () => (loaded ??= import('tedious').then((m) => ((m as { default?: typeof import('tedious') }).default ?? m)));

function query(tedious: typeof import('tedious'), conn: Connection, text: string, timeoutMs: number): Promise<Row[]> {
  return within(timeoutMs + 1000, `"${text.slice(0, 60)}"`, () => new Promise<Row[]>((resolve, reject) => {
    const rows: Row[] = [];
    const request = new tedious.Request(text, (err) => (err ? reject(err) : resolve(rows)));
    request.on('row', (columns: Array<{ value: unknown; metadata: { colName: string } }>) => {
      rows.push(Object.fromEntries(columns.map((c) => [c.metadata.colName, c.value])));
    });
    conn.execSqlBatch(request);
  }));
}

/** Logs in once and reads the catalogs. */
export async function enumerateMssql(o: MssqlOptions): Promise<EnumerationRecord> {
  const started = performance.now();
  const where = `mssql://${o.address.includes(':') ? `[${o.address}]` : o.address}:${o.port} as ${o.credential.username}`;
  let rerouted: string | undefined;
  let conn: Connection;
  const tedious = await loadTedious();
  try {
    const password = passwordOf(o.credential);
    conn = new tedious.Connection({
      server: o.address,
      authentication: { type: 'default', options: { userName: o.credential.username, password } },
      options: {
        port: o.port, database: 'master', appName: 'surveyor', connectTimeout: o.timeoutMs, requestTimeout: o.timeoutMs, cancelTimeout: 2000,
        encrypt: o.encrypt ?? true, trustServerCertificate: o.trustServerCertificate === true, maxRetriesOnTransientErrors: 0,
        ...(o.serverName ? { serverName: o.serverName } : {}),
        ...(o.ca ? { cryptoCredentialsDetails: { ca: o.ca } } : {}),
        // Only ever the address given: a routing answer (ENVCHANGE type 20) would otherwise take the login elsewhere.
        connector: () => new Promise<net.Socket>((resolve, reject) => {
          const s = net.connect({ host: o.address, port: o.port });
          s.once('connect', () => {
            s.removeListener('error', reject);
            resolve(s);
          });
          s.once('error', reject);
        }),
      },
    });
  } catch (err) {
    return failedRecord('mssql', o, connectionError(err, where, () => false), started);
  }
  conn.on('error', () => {});
  let serverError: number | undefined;
  conn.on('errorMessage', (token: { number: number }) => {
    serverError ??= token.number;
  });
  (conn as unknown as NodeJS.EventEmitter).on('rerouting', () => {
    rerouted = 'the server answered the login with a routing to another server; it was not followed';
    conn.close();
  });
  try {
    await within(o.timeoutMs + 2000, `the login to ${where}`, () => new Promise<void>((resolve, reject) => {
      conn.connect((err) => (err ? reject(err) : resolve()));
      conn.once('end', () => reject(new ProbeError(rerouted ? 'unsupported' : 'protocol-error', rerouted ?? 'the server closed the connection')));
    }));
  } catch (err) {
    conn.close();
    // 18456: login failed (a wrong password or an unknown login: the server tells them apart only in its own log);
    // 18470 disabled, 18486 locked out, 18487/18488 password expired or must change, 4060 no access to the database.
    const e = err as { code?: string; message?: string };
    const text = String(e.message ?? err);
    if (rerouted) return failedRecord('mssql', o, new ProbeError('unsupported', rerouted), started);
    if (e.code === 'EENCRYPT') return failedRecord('mssql', o, new ProbeError('unsupported', `${where}: the server offers no TLS; the password of credential ${o.credential.name} was not sent`), started);
    if (/certificate|self.signed|CERT_|Hostname\/IP does not match|unable to verify/i.test(text)) {
      return failedRecord('mssql', o, new ProbeError('untrusted', `${where}: the server's TLS certificate was not trusted (${text.split('\n')[0]!.slice(0, 200)}); no credential was sent`), started);
    }
    return failedRecord('mssql', o, connectionError(err, where,
      (x) => x.code === 'ELOGIN' && (serverError === 18456 || (serverError === undefined && /login failed/i.test(x.message))),
      (x) => x.code === 'ELOGIN'), started);
  }
  try {
    const [v] = await query(tedious, conn, MSSQL_QUERIES.version, o.timeoutMs);
    const versionText = String(v?.full_version ?? v?.version ?? '');
    const instance: DatabaseInstance = {
      address: o.address, port: o.port, product: productOf(versionText), version: dottedVersion(String(v?.version ?? versionText)),
    };
    const principals = (await query(tedious, conn, MSSQL_QUERIES.principals, o.timeoutMs)).map(principalOf);
    const roleMembers = (await query(tedious, conn, MSSQL_QUERIES.roleMembers, o.timeoutMs)).map((r) => ({ roleId: Number(r.role_id), memberId: Number(r.member_id) }));
    const permissions = (await query(tedious, conn, MSSQL_QUERIES.permissions, o.timeoutMs)).map((r) => ({ granteeId: Number(r.grantee_id), permission: String(r.permission), withGrant: r.state === 'W' }));
    const accounts = mssqlAccounts({ instance, principals, roleMembers, permissions, now: new Date() }, 'sys.server_principals, sys.server_role_members, sys.server_permissions, LOGINPROPERTY');
    const byId = new Map(principals.map((p) => [p.id, p.name]));
    const facts = {
      instance: instanceFact("SERVERPROPERTY('ProductVersion'), @@VERSION", instance, versionText, { edition: str(v?.edition) }),
      serverRoles: {
        source: 'sys.server_principals (type R), sys.server_role_members',
        value: principals.filter((p) => p.type === 'R').map((r) => ({ name: r.name, members: roleMembers.filter((m) => m.roleId === r.id).map((m) => byId.get(m.memberId) ?? String(m.memberId)) })),
      },
      serverPermissions: {
        source: 'sys.server_permissions (class 100)',
        value: permissions.map((p) => ({ grantee: byId.get(p.granteeId) ?? String(p.granteeId), permission: p.permission, withGrant: p.withGrant })),
      },
    };
    return successRecord('mssql', o, facts, accounts, [], started);
  } catch (err) {
    return failedRecord('mssql', o, connectionError(err, where, () => false, (e) => /permission|denied/i.test(e.message)), started);
  } finally {
    conn.close();
  }
}

/** "Microsoft SQL Server 2022 (RTM-CU12) ..." gives "Microsoft SQL Server 2022"; otherwise the generic name. */
export function productOf(versionText: string): string {
  return /^Microsoft SQL Server( \d{4})?/.exec(versionText.trim())?.[0] ?? 'Microsoft SQL Server';
}
