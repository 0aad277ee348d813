/**
 * Credentialed enumeration of one swept host: SSH with the first ssh credential in scope that works, LDAP when
 * the host's rootDSE showed a directory and an ldap credential is in scope, every database service the fingerprint
 * found (MySQL/MariaDB, PostgreSQL, MSSQL) with the first credential of its type in scope that logs in, and SNMP
 * (udp/161) with the first snmp credential in scope that the agent answers. Each credential gets one attempt per
 * host and method (per database service), so a refused one cannot lock an account out.
 */
import type { HostProfile } from '../profiles/fingerprint.js';
import type { HostKeyStore } from '../model/host-key.js';
import { enumerateSsh } from '../enum/ssh/enumerate.js';
import { directoryUrl, TlsPolicy } from '../enum/ldap/connect.js';
import { enumerateDirectory } from '../enum/ldap/enumerate.js';
import { enumerateSnmp } from '../enum/snmp/enumerate.js';
import type { EnumerationRecord } from '../enum/types.js';
import type { DatabaseEnumerateOptions, DatabaseMethod } from '../enum/db/types.js';
import { enumerateMysql } from '../enum/db/mysql.js';
import { enumeratePostgres } from '../enum/db/postgres.js';
import { enumerateMssql } from '../enum/db/mssql.js';
import type { Credential, Scope } from '../vault/credentials.js';

export interface HostEnumerationOptions {
  readonly pins: HostKeyStore;
  readonly timeoutMs: number;
  /** How directories' certificates are trusted (the scan's --ldap-ca-file, --allow-plaintext-bind). */
  readonly tls: TlsPolicy;
  /** The name a directory's certificate must carry: a host name the admin gave as a target. */
  readonly tlsName?: string;
  /** SNMP requests: the wait for one answer in ms and the resends (the scan's --snmp-timeout-ms, --snmp-retries). */
  readonly snmp?: { readonly timeoutMs?: number; readonly retries?: number };
  /** CA certificates an MSSQL server's certificate must chain to (default: the system's). */
  readonly mssqlCa?: Buffer;
}

/** The database service each fingerprinted service name is, with the credential type that logs in to it. */
const DATABASE_SERVICES: Readonly<Record<string, DatabaseMethod>> = { mysql: 'mysql', postgresql: 'postgres', mssql: 'mssql' };
/** Without a fingerprint, the well-known ports. */
const DATABASE_PORTS: Readonly<Record<number, DatabaseMethod>> = { 3306: 'mysql', 5432: 'postgres', 1433: 'mssql' };

/** The database services to log in to: those the fingerprint identified, or (without one) the open well-known ports. */
export function databaseServices(profile: HostProfile | undefined, openPorts: readonly number[]): Array<{ port: number; method: DatabaseMethod }> {
  if (profile) {
    return profile.services.filter((sv) => sv.service && DATABASE_SERVICES[sv.service]).map((sv) => ({ port: sv.port, method: DATABASE_SERVICES[sv.service!]! }));
  }
  return openPorts.filter((p) => DATABASE_PORTS[p]).map((port) => ({ port, method: DATABASE_PORTS[port]! }));
}

type ScopedCredential = { credential: Credential; scope: Scope };

/** Ports where the fingerprint read a rootDSE (a directory server), LDAPS first. */
export function directoryPorts(profile: HostProfile | undefined): Array<{ port: number; scheme: 'ldap' | 'ldaps' }> {
  const out: Array<{ port: number; scheme: 'ldap' | 'ldaps' }> = [];
  for (const sv of profile?.services ?? []) {
    const rootDse = sv.outcomes.some((o) => o.status === 'success' && o.evidence.some((e) => e.kind === 'attribute' && e.name === 'ldap.namingContexts'));
    if (sv.service === 'ldaps' || (rootDse && sv.service === 'ldap')) out.push({ port: sv.port, scheme: sv.service === 'ldaps' ? 'ldaps' : 'ldap' });
  }
  return out.sort((a, b) => (a.scheme === b.scheme ? a.port - b.port : a.scheme === 'ldaps' ? -1 : 1));
}

export async function enumerateHost(
  address: string, sshPorts: readonly number[], profile: HostProfile | undefined, credentials: readonly ScopedCredential[], o: HostEnumerationOptions,
  databases: ReadonlyArray<{ port: number; method: DatabaseMethod }> = databaseServices(profile, []),
): Promise<EnumerationRecord[] | undefined> {
  const out: EnumerationRecord[] = [];
  const inScope = (type: Credential['type']) => credentials.filter((c) => c.credential.type === type && c.scope.contains(address));
  const sshPort = sshPorts[0];
  if (sshPort !== undefined) {
    for (const { credential } of inScope('ssh')) {
      const result = await enumerateSsh({ address, port: sshPort, credential, pins: o.pins, timeoutMs: o.timeoutMs });
      out.push(result);
      if (result.status === 'success' || result.status === 'hostkey-changed') break;
    }
  }
  const directory = directoryPorts(profile)[0];
  if (directory) {
    for (const { credential } of inScope('ldap')) {
      const { record } = await enumerateDirectory({
        url: directoryUrl(directory.scheme, address, directory.port), credential, timeoutMs: o.timeoutMs,
        policy: { ...o.tls, serverName: o.tlsName },
      });
      out.push(record);
      if (record.status === 'success' || record.status === 'incomplete' || record.status === 'untrusted') break;
    }
  }
  for (const db of databases) {
    for (const { credential } of inScope(db.method)) {
      const record = await enumerateDatabase(db.method, { address, port: db.port, credential, timeoutMs: o.timeoutMs }, o);
      out.push(record);
      // A certificate that is not trusted is refused before any credential is sent: the next one would be too.
      if (record.status === 'success' || record.status === 'untrusted' || record.status === 'refused' || record.status === 'timeout') break;
    }
  }
  out.push(...(await enumerateSnmpHost(address, credentials, o)));
  return out.length ? out : undefined;
}

/** SNMP with each snmp credential in scope, in turn, until the agent answers one (v2c communities are tried so). */
export async function enumerateSnmpHost(address: string, credentials: readonly ScopedCredential[], o: Pick<HostEnumerationOptions, 'snmp'>): Promise<EnumerationRecord[]> {
  const out: EnumerationRecord[] = [];
  for (const { credential } of credentials.filter((c) => c.credential.type === 'snmp' && c.scope.contains(address))) {
    const record = await enumerateSnmp({ address, credential, timeoutMs: o.snmp?.timeoutMs, retries: o.snmp?.retries });
    out.push(record);
    if (record.status === 'success' || record.status === 'incomplete') break;
  }
  return out;
}

/** Whether an SNMP agent answered at all (a report refusing the credential is an answer; silence is `timeout`). */
export function snmpAnswered(records: readonly EnumerationRecord[]): boolean {
  return records.some((r) => r.method === 'snmp' && r.status !== 'timeout');
}

/** One login to one database service with one credential. */
export function enumerateDatabase(method: DatabaseMethod, d: DatabaseEnumerateOptions, o: Pick<HostEnumerationOptions, 'mssqlCa' | 'tlsName'> = {}): Promise<EnumerationRecord> {
  if (method === 'mysql') return enumerateMysql(d);
  if (method === 'postgres') return enumeratePostgres(d);
  return enumerateMssql({ ...d, ca: o.mssqlCa, serverName: o.tlsName });
}
