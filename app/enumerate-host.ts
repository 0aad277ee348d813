/**
 * Credentialed enumeration of one swept host: SSH with the first ssh credential in scope that works, LDAP when
 * the host's rootDSE showed a directory and an ldap credential is in scope, and SNMP (udp/161) with the first snmp
 * credential in scope that the agent answers. Each credential gets one attempt per host and method, so a refused
 * one cannot lock an account out.
 */
import type { HostProfile } from '../profiles/fingerprint.js';
import type { HostKeyStore } from '../model/host-key.js';
import { enumerateSsh } from '../enum/ssh/enumerate.js';
import { directoryUrl, TlsPolicy } from '../enum/ldap/connect.js';
import { enumerateDirectory } from '../enum/ldap/enumerate.js';
import { enumerateSnmp } from '../enum/snmp/enumerate.js';
import type { EnumerationRecord } from '../enum/types.js';
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
