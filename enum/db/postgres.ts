/**
 * PostgreSQL roles over one pg login: `pg_roles` (never `pg_authid`, which holds the password hashes; pg_roles
 * shows none) with its attributes, and `pg_auth_members` for membership, followed transitively. A role is
 * privileged when it is SUPERUSER, CREATEROLE, REPLICATION or BYPASSRLS, or is a member (at any depth) of a
 * superuser role or of a predefined role that amounts to privilege (reading or writing server files, running
 * server programs, reading or writing all data). Membership is followed whatever its INHERIT and SET options: a
 * member can at least SET ROLE in the common case. The predefined roles themselves (`pg_*`) are not accounts.
 * The exact server version comes from the login (`SHOW server_version`).
 */
import pg from 'pg';
import { ProbeError } from '../../probes/core/outcome.js';
import type { AccountObservation, EnumerationRecord } from '../types.js';
import {
  connectionError, DatabaseAccountDetails, DatabaseEnumerateOptions, DatabaseInstance, dottedVersion, failedRecord, instanceFact, passwordOf,
  reachableRoles, successRecord, viaText, within,
} from './types.js';

/** Predefined roles whose members hold privilege beyond their own objects. */
export const PRIVILEGED_PREDEFINED_ROLES = [
  'pg_read_server_files', 'pg_write_server_files', 'pg_execute_server_program', 'pg_read_all_data', 'pg_write_all_data',
] as const;

/** Role attributes that make a role privileged, as `\du` names them. */
const PRIVILEGED_ATTRIBUTES = ['SUPERUSER', 'CREATEROLE', 'REPLICATION', 'BYPASSRLS'] as const;

export interface PgRoleRow {
  readonly oid: number;
  readonly name: string;
  readonly superuser: boolean;
  readonly inherit: boolean;
  readonly createrole: boolean;
  readonly createdb: boolean;
  readonly login: boolean;
  readonly replication: boolean;
  readonly bypassrls: boolean;
  readonly connectionLimit: number;
  /** ISO time, `infinity`, or null (no limit). */
  readonly validUntil: string | null;
  /** VALID UNTIL has passed (judged by the server's clock). */
  readonly expired: boolean;
}

export interface PgMembership {
  readonly role: number;
  readonly member: number;
  readonly admin: boolean;
}

export const ROLES_QUERY = `SELECT oid::int8 AS oid, rolname AS name, rolsuper AS superuser, rolinherit AS inherit, rolcreaterole AS createrole,
  rolcreatedb AS createdb, rolcanlogin AS login, rolreplication AS replication, rolbypassrls AS bypassrls, rolconnlimit AS "connectionLimit",
  CASE WHEN rolvaliduntil IS NULL THEN NULL WHEN isfinite(rolvaliduntil) THEN to_char(rolvaliduntil AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
    ELSE rolvaliduntil::text END AS "validUntil",
  coalesce(rolvaliduntil < now(), false) AS expired
  FROM pg_roles ORDER BY rolname`;
export const MEMBERS_QUERY = 'SELECT roleid::int8 AS role, member::int8 AS member, admin_option AS admin FROM pg_auth_members';

/** The attributes of a role that `\du` lists, by their SQL names. */
export function roleAttributes(r: PgRoleRow): string[] {
  return [
    ...(r.superuser ? ['SUPERUSER'] : []), ...(r.createrole ? ['CREATEROLE'] : []), ...(r.createdb ? ['CREATEDB'] : []),
    ...(r.replication ? ['REPLICATION'] : []), ...(r.bypassrls ? ['BYPASSRLS'] : []),
  ];
}

export function postgresAccounts(instance: DatabaseInstance, roles: readonly PgRoleRow[], members: readonly PgMembership[], source: string): AccountObservation[] {
  const byOid = new Map(roles.map((r) => [String(r.oid), r]));
  const edges = new Map<string, string[]>();
  for (const m of members) edges.set(String(m.member), [...(edges.get(String(m.member)) ?? []), String(m.role)]);
  const out: AccountObservation[] = [];
  for (const r of roles) {
    if (r.name.startsWith('pg_')) continue;
    const attributes = roleAttributes(r);
    const reasons: string[] = PRIVILEGED_ATTRIBUTES.filter((a) => attributes.includes(a));
    const reached = [...reachableRoles(String(r.oid), edges)].map(([oid, via]) => ({ role: byOid.get(oid), via: via.map((v) => byOid.get(v)?.name ?? v) }))
      .filter((x): x is { role: PgRoleRow; via: string[] } => x.role !== undefined);
    for (const { role, via } of reached) {
      if ((PRIVILEGED_PREDEFINED_ROLES as readonly string[]).includes(role.name)) reasons.push(`member of ${role.name}${viaText(via)}`);
      else if (role.superuser) reasons.push(`member of ${role.name} (SUPERUSER)${viaText(via)}`);
    }
    const details: DatabaseAccountDetails & Record<string, unknown> = {
      instance, login: r.login, locked: false, passwordExpired: r.expired,
      passwordExpires: r.validUntil && r.validUntil !== 'infinity' ? r.validUntil : null,
      privileges: attributes, roles: reached.map((x) => x.role.name).sort(),
      superuser: r.superuser, createrole: r.createrole, createdb: r.createdb, replication: r.replication, bypassrls: r.bypassrls,
      inherit: r.inherit, validUntil: r.validUntil, connectionLimit: r.connectionLimit,
      memberOf: (edges.get(String(r.oid)) ?? []).map((oid) => byOid.get(oid)?.name ?? oid).sort(),
    };
    out.push({
      kind: 'database',
      key: `postgres:${instance.port}:${r.name}`,
      name: r.name,
      uid: String(r.oid),
      privileged: reasons.length > 0,
      reasons,
      enabled: r.login && !r.expired,
      details,
      source,
    });
  }
  return out;
}

/**
 * pg's client, refusing a password request in clear text on a connection without TLS (a server that asks for
 * one, method `password`, gets nothing and the login fails as `unsupported`). MD5 and SCRAM are answered as usual.
 */
class GuardedClient extends pg.Client {
  refusedCleartext = false;
  _handleAuthCleartextPassword(): void {
    this.refusedCleartext = true;
    (this as unknown as { connection: { emit(e: string, err: Error): void } }).connection.emit('error', new ProbeError('unsupported', 'the server asked for the password in clear text (auth method "password") on a connection without TLS; it was not sent'));
  }
}

/** Logs in once (to the database `postgres`; once more to `template1` only if `postgres` does not exist). */
export async function enumeratePostgres(o: DatabaseEnumerateOptions): Promise<EnumerationRecord> {
  const started = performance.now();
  const host = o.address.includes(':') ? `[${o.address}]` : o.address;
  const where = (db: string) => `postgres://${host}:${o.port}/${db} as ${o.credential.username}`;
  const open = async (database: string): Promise<pg.Client> => {
    const client = new GuardedClient({
      host: o.address, port: o.port, user: o.credential.username, password: passwordOf(o.credential), database,
      connectionTimeoutMillis: o.timeoutMs, query_timeout: o.timeoutMs, statement_timeout: o.timeoutMs, application_name: 'surveyor', ssl: false,
    });
    client.on('error', () => {});
    try {
      await within(o.timeoutMs + 1000, `the login to ${where(database)}`, () => client.connect());
      return client;
    } catch (err) {
      await client.end().catch(() => {});
      throw err;
    }
  };
  // 28P01 wrong password, 28000 no pg_hba entry or no such role (the server says the same for both on purpose).
  const auth = (e: { code?: unknown }) => e.code === '28P01';
  const denied = (e: { code?: unknown }) => e.code === '28000' || e.code === '42501' || e.code === '3D000';
  let client: pg.Client;
  let database = 'postgres';
  try {
    try {
      client = await open(database);
    } catch (err) {
      // The database is checked after authentication: the credential worked, another database is no new guess.
      if ((err as { code?: string }).code !== '3D000') throw err;
      database = 'template1';
      client = await open(database);
    }
  } catch (err) {
    return failedRecord('postgres', o, connectionError(err, where(database), auth, denied), started);
  }
  try {
    const q = async <T>(text: string): Promise<T[]> => (await within(o.timeoutMs + 1000, `"${text.slice(0, 60)}"`, () => client.query(text))).rows as T[];
    const [sv] = await q<{ server_version: string }>('SHOW server_version');
    const [full] = await q<{ version: string }>('SELECT version() AS version');
    const serverVersion = String(sv?.server_version ?? '');
    const instance: DatabaseInstance = { address: o.address, port: o.port, product: 'PostgreSQL', version: dottedVersion(serverVersion) };
    const roles = (await q<Record<string, unknown>>(ROLES_QUERY)).map((r) => ({ ...r, oid: Number(r.oid), connectionLimit: Number(r.connectionLimit) }) as unknown as PgRoleRow);
    const members = (await q<Record<string, unknown>>(MEMBERS_QUERY)).map((m) => ({ role: Number(m.role), member: Number(m.member), admin: m.admin === true }));
    const accounts = postgresAccounts(instance, roles, members, 'pg_roles and pg_auth_members');
    const byOid = new Map(roles.map((r) => [r.oid, r.name]));
    const facts = {
      instance: instanceFact('SHOW server_version; SELECT version()', instance, serverVersion, { fullVersion: full?.version ?? null, database }),
      memberships: {
        source: 'pg_auth_members',
        value: members.map((m) => ({ role: byOid.get(m.role) ?? String(m.role), member: byOid.get(m.member) ?? String(m.member), admin: m.admin })),
      },
    };
    return successRecord('postgres', o, facts, accounts, database === 'postgres' ? [] : ['the database "postgres" does not exist: read the catalogs from template1'], started);
  } catch (err) {
    return failedRecord('postgres', o, connectionError(err, where(database), () => false, (e) => e.code === '42501'), started);
  } finally {
    await client.end().catch(() => {});
  }
}
