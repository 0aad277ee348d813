/**
 * The one narrow interface between surveyor and its database. SQLite is the embedded default; a PostgreSQL
 * implementation shares this interface (and the same test suite) so several scanner nodes can share one database.
 */
import type { HostProfile, OsProfile, ServiceProfile } from '../profiles/fingerprint.js';
import type { PortResult } from '../scanner/engine/types.js';
import type { AccountKind, EnumerationRecord } from '../enum/types.js';
import type { StoredCredential } from '../vault/credentials.js';

export type ScanStatus = 'running' | 'completed' | 'interrupted' | 'failed';

export interface NewScan {
  /** `network`: a sweep (the default); `directory`: an LDAP enumeration, which sees no ports. */
  readonly kind?: 'network' | 'directory';
  readonly startedAt: string;
  readonly targets: readonly string[];
  readonly exclusions: readonly string[];
  readonly ports: readonly number[];
  readonly options: Readonly<Record<string, unknown>>;
  readonly hostsTotal: number;
  readonly probesTotal: number;
}

export interface ScanTotals {
  readonly probesDone: number;
  readonly hostsDone: number;
  readonly open: number;
  readonly closed: number;
  readonly filtered: number;
}

export interface ScanRecord extends NewScan {
  readonly kind: 'network' | 'directory';
  readonly id: number;
  readonly finishedAt: string | null;
  readonly status: ScanStatus;
  readonly totals: ScanTotals;
}

/** What one scan saw of one host. */
export interface HostObservation {
  readonly address: string;
  readonly hostnames: readonly string[];
  readonly ports: readonly PortResult[];
  readonly seenAt: string;
  /** The fingerprint of the host's open ports, when the scan fingerprinted. */
  readonly profile?: HostProfile;
  /** Credentialed enumerations of the host (accounts and facts), when the scan had credentials in scope. */
  readonly enumerations?: readonly EnumerationRecord[];
}

/** A computer object of a directory, with the address its DNS name had when the directory was read. */
export interface DirectoryComputerRecord {
  readonly key: string;
  readonly dn: string;
  readonly name: string;
  readonly dnsHostName?: string;
  readonly operatingSystem?: string;
  readonly operatingSystemVersion?: string;
  readonly lastLogon?: string;
  readonly enabled: boolean;
  readonly address?: string;
}

/** What one directory scan saw: the directory server (an asset), its enumeration, and the computers it lists. */
export interface DirectoryObservation {
  readonly address: string;
  readonly hostnames: readonly string[];
  readonly seenAt: string;
  /** DNS name of the domain, or the base DN where it has no DC components. */
  readonly domain: string;
  readonly enumeration: EnumerationRecord;
  readonly computers: readonly DirectoryComputerRecord[];
}

export interface DirectoryComputerView extends DirectoryComputerRecord {
  readonly domain: string;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly lastScanId: number;
}

/** A host key pinned on first use, and the different key a server offered later (until an admin accepts it). */
export interface HostKeyPin {
  readonly address: string;
  readonly port: number;
  readonly algorithm: string;
  readonly sha256: string;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly offered?: { readonly algorithm: string; readonly sha256: string; readonly at: string };
}

export interface AccountView {
  readonly address: string;
  readonly kind: AccountKind;
  readonly name: string;
  readonly uid: string | null;
  readonly privileged: boolean;
  readonly reasons: readonly string[];
  readonly enabled: boolean | null;
  readonly lastLogon: string | null;
  readonly passwordLastSet: string | null;
  readonly details: Readonly<Record<string, unknown>>;
  readonly source: string;
  readonly credential: string | null;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly lastScanId: number;
  /** Seen by the asset's latest successful enumeration (false: it was there before and is gone now). */
  readonly current: boolean;
}

export interface AccountFilter {
  readonly privileged?: boolean;
  readonly address?: string;
  /** Also accounts the latest enumeration of their asset no longer saw. */
  readonly includeGone?: boolean;
}

export interface StoredEnumeration extends EnumerationRecord {
  readonly scanId: number;
  readonly address: string;
}

export interface AssetPort {
  readonly port: number;
  readonly protocol: 'tcp';
  readonly state: PortResult['state'];
  readonly rttMs: number;
  readonly scanId: number;
  readonly service?: Pick<ServiceProfile, 'service' | 'product' | 'version' | 'info' | 'cpe' | 'confidence' | 'sources' | 'outcomes'>;
}

export interface AssetView {
  readonly id: number;
  readonly address: string;
  readonly hostnames: readonly string[];
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly lastScanId: number;
  /** Ports as the most recent scan that saw this asset found them. */
  readonly ports: readonly AssetPort[];
  readonly os?: OsProfile;
  readonly domain?: { name: string; via: string };
  /** False while the asset is known only from a directory (no sweep has seen it yet). */
  readonly scanned: boolean;
  /** The directory computer object(s) naming this asset. */
  readonly directory?: ReadonlyArray<{ domain: string; name: string; dn: string; operatingSystem?: string; operatingSystemVersion?: string }>;
  /** Host names with where each came from (a target name, a certificate, LDAP, ...). */
  readonly names: ReadonlyArray<{ name: string; via: string }>;
}

/** What one scan saw: open ports with their services, and OS, per address. */
export interface ScanSnapshot {
  readonly scan: ScanRecord;
  readonly hosts: ReadonlyMap<string, {
    readonly ports: ReadonlyMap<number, { service?: string | null; product?: string | null; version?: string | null }>;
    readonly os?: { family?: string; name?: string; version?: string };
    readonly names: readonly string[];
  }>;
}

export interface Store {
  /** Where the data lives, for messages (a path or a URL without its password). */
  readonly location: string;
  createScan(scan: NewScan): Promise<number>;
  /** Writes a batch of observations and the running totals in one transaction. */
  recordHosts(scanId: number, hosts: readonly HostObservation[], totals: ScanTotals): Promise<void>;
  finishScan(scanId: number, status: Exclude<ScanStatus, 'running'>, totals: ScanTotals, finishedAt: string): Promise<void>;
  getScan(scanId: number): Promise<ScanRecord | undefined>;
  listScans(): Promise<ScanRecord[]>;
  listAssets(): Promise<AssetView[]>;
  /** The open ports, services and OS one scan recorded. */
  snapshot(scanId: number): Promise<ScanSnapshot | undefined>;
  saveCredential(credential: StoredCredential, replace: boolean): Promise<'added' | 'replaced'>;
  listCredentials(): Promise<StoredCredential[]>;
  getCredential(name: string): Promise<StoredCredential | undefined>;
  removeCredential(name: string): Promise<boolean>;
  getHostKey(address: string, port: number): Promise<HostKeyPin | undefined>;
  /** Pins a key seen for the first time, or refreshes last_seen of the pinned one. */
  pinHostKey(address: string, port: number, algorithm: string, sha256: string, at: string): Promise<void>;
  /** Records a key that differs from the pinned one, for an admin to review and accept. */
  offerHostKey(address: string, port: number, algorithm: string, sha256: string, at: string): Promise<void>;
  /** Makes the offered keys of an address (one port, or all) the pinned ones; returns what changed. */
  acceptHostKeys(address: string, port?: number): Promise<Array<{ before: HostKeyPin; after: HostKeyPin }>>;
  listHostKeys(): Promise<HostKeyPin[]>;
  listAccounts(filter?: AccountFilter): Promise<AccountView[]>;
  /** The enumerations of an address in the most recent scan that enumerated it. */
  latestEnumerations(address: string): Promise<StoredEnumeration[]>;
  /** Writes a directory scan's server asset, enumeration, accounts and computers in one transaction. */
  recordDirectory(scanId: number, observation: DirectoryObservation): Promise<void>;
  listDirectoryComputers(domain?: string): Promise<DirectoryComputerView[]>;
  close(): Promise<void>;
}
