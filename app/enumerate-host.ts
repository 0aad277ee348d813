/**
 * Credentialed enumeration of one swept host: SSH with the first ssh credential in scope that works, and LDAP when
 * the host's rootDSE showed a directory and an ldap credential is in scope. Each credential gets one attempt per
 * host and method, so a refused one cannot lock an account out.
 */
import type { HostProfile } from '../profiles/fingerprint.js';
import type { HostKeyStore } from '../model/host-key.js';
import { enumerateSsh } from '../enum/ssh/enumerate.js';
import { directoryUrl, TlsPolicy } from '../enum/ldap/connect.js';
import { enumerateDirectory } from '../enum/ldap/enumerate.js';
import type { EnumerationRecord } from '../enum/types.js';
import type { Credential, Scope } from '../vault/credentials.js';

export interface HostEnumerationOptions {
  readonly pins: HostKeyStore;
  readonly timeoutMs: number;
  /** How directories' certificates are trusted (the scan's --ldap-ca-file, --allow-plaintext-bind). */
  readonly tls: TlsPolicy;
  /** The name a directory's certificate must carry: a host name the admin gave as a target. */
  readonly tlsName?: string;
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
  return out.length ? out : undefined;
}
