/**
 * Running a directory scan: read an Active Directory or OpenLDAP directory with an ldap credential (users, groups,
 * privileged paths, computers, policy), resolve its computers' DNS names, and store it all as one scan.
 */
import { isIP } from 'node:net';
import type { DirectoryComputerRecord, Store } from '../store/store.js';
import { enumerateDirectory } from '../enum/ldap/enumerate.js';
import type { DirectoryUrl, TlsPolicy } from '../enum/ldap/connect.js';
import type { DirectoryInventory } from '../enum/ldap/inventory.js';
import type { EnumerationRecord } from '../enum/types.js';
import { InputError } from '../scanner/errors.js';
import { systemResolver } from '../scanner/targets/target-set.js';
import { openCredentials } from './credentials.js';
import { Resolution, resolveNames } from './directory-targets.js';
import type { EventSink } from './events.js';

/** The address a directory URL's host has now (the credential goes to that address only). */
export async function directoryAddress(url: DirectoryUrl): Promise<string> {
  if (isIP(url.host)) return url.host;
  try {
    const found = await systemResolver(url.host);
    if (found[0]) return found[0];
  } catch (err) {
    throw new InputError(`bad directory URL "${url.text}": host name cannot be resolved (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  throw new InputError(`bad directory URL "${url.text}": host name resolved to no address`);
}

export interface DirectoryScanRequest {
  readonly url: DirectoryUrl;
  /** The address the URL's host has (see directoryAddress): the only one the credential is sent to. */
  readonly address: string;
  /** The name of a stored ldap credential. */
  readonly credential: string;
  readonly policy: TlsPolicy;
  /** The CA file the policy was read from, recorded with the scan. */
  readonly caFile?: string;
  /** @default 30000 */
  readonly timeoutMs?: number;
  /** Search base. @default the rootDSE's defaultNamingContext or first naming context */
  readonly base?: string;
  /** More groups (names or DNs) to treat as privileged. @default [] */
  readonly privilegedGroups?: readonly string[];
  /** Look up the computers' DNS names (those that resolve become assets). @default true */
  readonly resolve?: boolean;
}

export interface DirectoryScanResult {
  readonly scanId: number;
  readonly record: EnumerationRecord;
  readonly inventory?: DirectoryInventory;
  readonly computers: readonly DirectoryComputerRecord[];
  /** The directory was read (status success or incomplete). */
  readonly ok: boolean;
}

export type DirectoryScanEvent =
  | { readonly type: 'started'; readonly scanId: number; readonly url: string; readonly address: string }
  | { readonly type: 'enumerated'; readonly status: string; readonly elapsedMs: number }
  | { readonly type: 'done'; readonly scanId: number; readonly ok: boolean };

async function resolveComputers(inv: DirectoryInventory, resolve: boolean): Promise<DirectoryComputerRecord[]> {
  const resolved = resolve ? await resolveNames(inv.computers.flatMap((c) => (c.dnsHostName ? [c.dnsHostName] : []))) : new Map<string, Resolution>();
  return inv.computers.map((c) => {
    const r = c.dnsHostName ? resolved.get(c.dnsHostName) : undefined;
    const address = r && 'address' in r ? r.address : undefined;
    return { key: c.key, dn: c.dn, name: c.name, dnsHostName: c.dnsHostName, operatingSystem: c.operatingSystem, operatingSystemVersion: c.operatingSystemVersion, lastLogon: c.lastLogon, enabled: c.enabled, address };
  });
}

/**
 * Reads the directory and stores what it found. A directory that refuses or fails is a stored result with its
 * status (ok false), not an exception; an unknown credential, one of another type or out of scope is an InputError.
 */
export async function runDirectoryScan(store: Store, request: DirectoryScanRequest, onEvent: EventSink<DirectoryScanEvent> = () => {}): Promise<DirectoryScanResult> {
  const { url, address, policy } = request;
  const [{ credential, scope }] = (await openCredentials(store, [request.credential])) as [Awaited<ReturnType<typeof openCredentials>>[number]];
  if (credential.type !== 'ldap') throw new InputError(`bad --creds "${credential.name}": a ${credential.type} credential; directory scans take an ldap one`);
  if (!scope.contains(address)) throw new InputError(`directory scan: ${address} is outside the scope of credential ${credential.name} (${credential.scope.join(',')}); nothing was sent`);
  const startedAt = new Date().toISOString();
  const scanId = await store.createScan({
    kind: 'directory', startedAt, targets: [url.text], exclusions: [], ports: [url.port], hostsTotal: 1, probesTotal: 1,
    options: { credential: credential.name, base: request.base ?? null, address, tls: { caFile: request.caFile ?? null, pinned: Boolean(policy.pin), allowPlaintextBind: policy.allowPlaintextBind } },
  });
  onEvent({ type: 'started', scanId, url: url.text, address });
  const connectUrl: DirectoryUrl = { ...url, host: address };
  let result;
  try {
    result = await enumerateDirectory({ url: connectUrl, credential, policy, timeoutMs: request.timeoutMs ?? 30_000, base: request.base, privilegedGroups: request.privilegedGroups ?? [] });
  } catch (err) {
    await store.finishScan(scanId, 'failed', { probesDone: 1, hostsDone: 1, open: 0, closed: 0, filtered: 0 }, new Date().toISOString());
    throw err;
  }
  const { record, inventory } = result;
  onEvent({ type: 'enumerated', status: record.status, elapsedMs: record.elapsedMs });
  const computers = inventory ? await resolveComputers(inventory, request.resolve ?? true) : [];
  const ok = record.status === 'success' || record.status === 'incomplete';
  await store.recordDirectory(scanId, {
    address, hostnames: isIP(url.host) ? [] : [url.host], seenAt: new Date().toISOString(),
    domain: inventory?.domain ?? inventory?.base ?? url.text, enumeration: record, computers,
  });
  await store.finishScan(scanId, ok ? 'completed' : 'failed', { probesDone: 1, hostsDone: 1, open: 1, closed: 0, filtered: 0 }, new Date().toISOString());
  onEvent({ type: 'done', scanId, ok });
  return { scanId, record, inventory, computers, ok };
}
