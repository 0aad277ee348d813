/**
 * MySQL and MariaDB accounts over one mysql2 login: `mysql.user` (only the privilege flags, plugin, lock and
 * password-age columns: never a password hash), MariaDB's `mysql.global_priv` for what its `mysql.user` view does
 * not show (locks, password lifetime, alternative plugins), and the roles (`mysql.roles_mapping` on MariaDB,
 * `mysql.role_edges` on MySQL 8). An account is privileged when it holds ALL PRIVILEGES, SUPER, GRANT OPTION, CREATE
 * USER or FILE globally, itself or through a role (roles granted to roles included); anonymous accounts and those
 * for any host (`host = '%'`) are flagged. Roles themselves are not accounts: they are listed in `details.roles`.
 */
import mysql from 'mysql2/promise';
import { ProbeError } from '../../probes/core/outcome.js';
import type { AccountObservation, EnumerationRecord } from '../types.js';
import {
  connectionError, DatabaseAccountDetails, DatabaseEnumerateOptions, DatabaseInstance, dottedVersion, failedRecord, instanceFact, passwordOf,
  reachableRoles, successRecord, within,
} from './types.js';

/** The global privileges that make an account privileged, in the order reasons list them. */
export const MYSQL_PRIVILEGED = ['ALL PRIVILEGES', 'SUPER', 'GRANT OPTION', 'CREATE USER', 'FILE'] as const;

/** `mysql.user` privilege columns whose name does not read as the privilege's (`Show_db_priv` is SHOW DATABASES). */
const PRIVILEGE_NAMES: Readonly<Record<string, string>> = {
  Show_db_priv: 'SHOW DATABASES', Create_tmp_table_priv: 'CREATE TEMPORARY TABLES', Repl_slave_priv: 'REPLICATION SLAVE',
  Repl_client_priv: 'REPLICATION CLIENT', Grant_priv: 'GRANT OPTION', Create_tablespace_priv: 'CREATE TABLESPACE',
};

/** Columns read besides the `*_priv` ones, when the server has them (never Password or authentication_string). */
const EXTRA_COLUMNS = ['plugin', 'account_locked', 'password_expired', 'password_last_changed', 'password_lifetime', 'is_role', 'default_role'] as const;

export function privilegeName(column: string): string {
  return PRIVILEGE_NAMES[column] ?? column.replace(/_priv$/, '').replace(/_/g, ' ').toUpperCase();
}

/** One row of `mysql.user` as read: User, Host, the `*_priv` flags, and the extra columns the server has. */
export type MysqlUserRow = Record<string, unknown> & { User: string; Host: string };

/** What MariaDB keeps in `mysql.global_priv` beside its `mysql.user` view. */
export interface GlobalPrivRow {
  readonly user: string;
  readonly host: string;
  readonly locked: boolean;
  /** Seconds since the epoch; 0 means the password was expired by hand. */
  readonly passwordLastChanged: number | null;
  /** Days; -1 (or null) the server's default, 0 never. */
  readonly passwordLifetime: number | null;
  readonly plugins: readonly string[];
}

/** A role grant: `grantee` (user@host) may use `role` (role@host, host empty for a MariaDB role). */
export interface RoleGrant {
  readonly grantee: string;
  readonly role: string;
}

export interface MysqlCatalog {
  readonly instance: DatabaseInstance;
  readonly users: readonly MysqlUserRow[];
  readonly globalPriv: readonly GlobalPrivRow[];
  readonly roleGrants: readonly RoleGrant[];
  /** @@default_password_lifetime in days (0: passwords never expire), null when the server has no such variable. */
  readonly defaultLifetime: number | null;
  /** The time the accounts are judged at (password expiry). */
  readonly now: Date;
}

const accountId = (user: string, host: string) => `${user}@${host}`;
/** How an account is named: user@host, `''@host` for the anonymous user. */
export const mysqlAccountName = (user: string, host: string) => `${user === '' ? "''" : user}@${host}`;
/** A role as reasons name it: MariaDB roles have no host. */
const roleName = (id: string) => (id.endsWith('@') ? id.slice(0, -1) : id);
const yes = (v: unknown) => v === 'Y' || v === 'y' || v === 1 || v === '1' || v === true || v === 'true';
const num = (v: unknown): number | null => (v === null || v === undefined || v === '' || Number.isNaN(Number(v)) ? null : Number(v));

/** The privileges a `mysql.user` row holds globally: ALL PRIVILEGES when it has every one but GRANT OPTION. */
export function globalPrivileges(row: MysqlUserRow): string[] {
  const columns = Object.keys(row).filter((c) => /_priv$/.test(c));
  const held = columns.filter((c) => yes(row[c]));
  const grant = held.includes('Grant_priv');
  const others = columns.filter((c) => c !== 'Grant_priv' && c !== 'Proxy_priv');
  if (others.length >= 10 && others.every((c) => yes(row[c]))) return ['ALL PRIVILEGES', ...(grant ? ['GRANT OPTION'] : [])];
  return held.map(privilegeName);
}

/** The privileges among `privileges` that make an account privileged. */
const privilegedOf = (privileges: readonly string[]) => MYSQL_PRIVILEGED.filter((p) => privileges.includes(p));

export function mysqlAccounts(c: MysqlCatalog, source: string): AccountObservation[] {
  const isRole = (r: MysqlUserRow) => yes(r.is_role);
  const privilegesOf = new Map(c.users.map((r) => [accountId(r.User, r.Host), globalPrivileges(r)]));
  const edges = new Map<string, string[]>();
  for (const g of c.roleGrants) edges.set(g.grantee, [...(edges.get(g.grantee) ?? []), g.role]);
  const extra = new Map(c.globalPriv.map((g) => [accountId(g.user, g.host), g]));
  const out: AccountObservation[] = [];
  for (const r of c.users) {
    if (isRole(r)) continue;
    const id = accountId(r.User, r.Host);
    const own = privilegesOf.get(id) ?? [];
    const reasons: string[] = privilegedOf(own).filter((p) => !(own.includes('ALL PRIVILEGES') && p !== 'ALL PRIVILEGES' && p !== 'GRANT OPTION'));
    const roles = reachableRoles(id, edges);
    // What ALL PRIVILEGES held itself implies (all but GRANT OPTION) is not repeated for a role that also grants it.
    const implied = own.includes('ALL PRIVILEGES') ? ['ALL PRIVILEGES', 'SUPER', 'CREATE USER', 'FILE'] : [];
    for (const [role, via] of roles) {
      for (const p of privilegedOf(privilegesOf.get(role) ?? [])) if (!implied.includes(p)) reasons.push(`${p} via role ${[...via, role].map(roleName).join(' > ')}`);
    }
    const g = extra.get(id);
    const locked = g?.locked ?? yes(r.account_locked);
    const changedAt = g ? g.passwordLastChanged : r.password_last_changed instanceof Date ? r.password_last_changed.getTime() / 1000 : num(r.password_last_changed);
    const ownLifetime = g ? g.passwordLifetime : num(r.password_lifetime);
    const lifetime = ownLifetime === null || ownLifetime < 0 ? c.defaultLifetime : ownLifetime;
    const expiresAt = changedAt && lifetime && lifetime > 0 ? new Date((changedAt + lifetime * 86400) * 1000) : null;
    const passwordExpired = yes(r.password_expired) || (g !== undefined && g.passwordLastChanged === 0) || (expiresAt !== null && expiresAt <= c.now);
    const plugin = typeof r.plugin === 'string' && r.plugin ? r.plugin : null;
    const plugins = [...new Set([...(plugin ? [plugin] : []), ...(g?.plugins ?? [])])];
    const details: DatabaseAccountDetails & Record<string, unknown> = {
      instance: c.instance, login: true, locked, passwordExpired, passwordExpires: expiresAt?.toISOString() ?? null,
      privileges: own, roles: [...roles.keys()].map(roleName).sort(),
      user: r.User, host: r.Host, anonymous: r.User === '', anyHost: r.Host === '%' || r.Host === '',
      plugin, ...(plugins.length > 1 ? { plugins } : {}),
      passwordLifetimeDays: lifetime && lifetime > 0 ? lifetime : null,
      ...(typeof r.default_role === 'string' && r.default_role ? { defaultRole: r.default_role } : {}),
    };
    out.push({
      kind: 'database',
      key: `mysql:${c.instance.port}:${id}`,
      name: mysqlAccountName(r.User, r.Host),
      privileged: reasons.length > 0,
      reasons,
      enabled: !locked,
      passwordLastSet: changedAt ? new Date(changedAt * 1000).toISOString() : undefined,
      details,
      source,
    });
  }
  return out;
}

const MYSQL_DENIED = new Set([1130, 1044, 3118, 4151, 1862, 1820]);

/** Logs in once and reads the catalogs. */
export async function enumerateMysql(o: DatabaseEnumerateOptions): Promise<EnumerationRecord> {
  const started = performance.now();
  const where = `mysql://${o.address.includes(':') ? `[${o.address}]` : o.address}:${o.port} as ${o.credential.username}`;
  let conn: mysql.Connection;
  let opening: Promise<mysql.Connection> | undefined;
  try {
    opening = mysql.createConnection({
      host: o.address, port: o.port, user: o.credential.username, password: passwordOf(o.credential), connectTimeout: o.timeoutMs,
      supportBigNumbers: true, bigNumberStrings: true, timezone: 'Z', multipleStatements: false,
    });
    conn = await within(o.timeoutMs + 1000, `the login to ${where}`, () => opening!);
  } catch (err) {
    // A login that answers after the budget ran out is closed when it does.
    opening?.then((late) => late.destroy(), () => {});
    if ((err as { code?: string }).code === 'MYSQL_CLEAR_PASSWORD_NOT_ENABLED') {
      return failedRecord('mysql', o, new ProbeError('unsupported', `${where}: the server asked for the password in clear text (mysql_clear_password); it was not sent`), started);
    }
    return failedRecord('mysql', o, connectionError(err, where, (e) => e.number === 1045 || e.code === 'ER_ACCESS_DENIED_ERROR',
      (e) => MYSQL_DENIED.has(Number(e.number))), started);
  }
  conn.on('error', () => {}); // a connection lost later fails the query under way; nothing else may throw
  try {
    const query = async <T extends Record<string, unknown>>(text: string): Promise<T[]> =>
      (await within(o.timeoutMs, `"${text.slice(0, 60)}"`, () => conn.query(text)))[0] as T[];
    await query("SET time_zone = '+00:00'");
    const [v] = await query<{ version: string }>('SELECT VERSION() AS version');
    const versionText = String(v?.version ?? '');
    const instance: DatabaseInstance = { address: o.address, port: o.port, product: /mariadb/i.test(versionText) ? 'MariaDB' : 'MySQL', version: dottedVersion(versionText) };
    let defaultLifetime: number | null = null;
    try {
      defaultLifetime = num((await query<{ d: unknown }>('SELECT @@default_password_lifetime AS d'))[0]?.d);
    } catch {
      // MariaDB before 10.4.3 has no password lifetimes
    }
    const tables = new Set((await query<{ t: string }>("SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'mysql' AND TABLE_NAME IN ('user', 'global_priv', 'roles_mapping', 'role_edges')")).map((r) => String(r.t)));
    const columns = (await query<{ c: string }>("SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'mysql' AND TABLE_NAME = 'user'")).map((r) => String(r.c));
    if (!tables.has('user') || !columns.length) {
      throw new ProbeError('access-denied', `${o.credential.username} may not read mysql.user on ${where.split(' as ')[0]}: grant it SELECT on the mysql schema to list accounts`);
    }
    const wanted = columns.filter((c) => /^[A-Za-z_]+_priv$/.test(c) || (EXTRA_COLUMNS as readonly string[]).includes(c));
    const userQuery = `SELECT User, Host, ${wanted.map((c) => `\`${c}\``).join(', ')} FROM mysql.user`;
    const users: MysqlUserRow[] = (await query<MysqlUserRow>(userQuery)).map((r) => ({ ...r, User: String(r.User), Host: String(r.Host) }));
    const globalPriv: GlobalPrivRow[] = [];
    if (tables.has('global_priv')) {
      const rows = await query<Record<string, unknown>>(`SELECT User AS user, Host AS host, JSON_VALUE(Priv, '$.account_locked') AS locked,
        JSON_VALUE(Priv, '$.password_last_changed') AS changed, JSON_VALUE(Priv, '$.password_lifetime') AS lifetime,
        JSON_EXTRACT(Priv, '$.auth_or[*].plugin') AS plugins FROM mysql.global_priv`);
      for (const r of rows) {
        let plugins: string[] = [];
        try {
          plugins = r.plugins ? (JSON.parse(String(r.plugins)) as unknown[]).map(String) : [];
        } catch {
          // not JSON: no alternatives listed
        }
        globalPriv.push({ user: String(r.user), host: String(r.host), locked: yes(r.locked), passwordLastChanged: num(r.changed), passwordLifetime: num(r.lifetime), plugins });
      }
    }
    const roleGrants: RoleGrant[] = [];
    if (tables.has('roles_mapping')) {
      for (const r of await query<Record<string, unknown>>('SELECT User AS user, Host AS host, Role AS role FROM mysql.roles_mapping')) {
        roleGrants.push({ grantee: accountId(String(r.user), String(r.host)), role: accountId(String(r.role), '') });
      }
    }
    if (tables.has('role_edges')) {
      for (const r of await query<Record<string, unknown>>('SELECT FROM_USER AS fu, FROM_HOST AS fh, TO_USER AS tu, TO_HOST AS th FROM mysql.role_edges')) {
        roleGrants.push({ grantee: accountId(String(r.tu), String(r.th)), role: accountId(String(r.fu), String(r.fh)) });
      }
    }
    const source = `SELECT User, Host, *_priv, ${wanted.filter((c) => !c.endsWith('_priv')).join(', ')} FROM mysql.user${tables.has('global_priv') ? ' (and mysql.global_priv)' : ''}`;
    const accounts = mysqlAccounts({ instance, users, globalPriv, roleGrants, defaultLifetime, now: new Date() }, source);
    const facts = {
      instance: instanceFact('SELECT VERSION()', instance, versionText),
      roles: {
        source: tables.has('roles_mapping') ? 'mysql.roles_mapping' : tables.has('role_edges') ? 'mysql.role_edges' : 'none',
        value: users.filter((r) => yes(r.is_role)).map((r) => ({ name: r.User, privileges: globalPrivileges(r) })),
      },
      roleGrants: { source: 'role grants', value: roleGrants.map((g) => ({ grantee: roleName(g.grantee), role: roleName(g.role) })) },
      defaultPasswordLifetime: { source: 'SELECT @@default_password_lifetime', value: defaultLifetime },
    };
    return successRecord('mysql', o, facts, accounts, [], started);
  } catch (err) {
    const e = err instanceof ProbeError ? err : connectionError(err, where, () => false, (x) => Number(x.number) === 1142 || Number(x.number) === 1143 || x.code === 'ER_TABLEACCESS_DENIED_ERROR');
    return failedRecord('mysql', o, e, started);
  } finally {
    await conn.end().catch(() => conn.destroy());
  }
}
