/**
 * The one narrow interface between surveyor and its database. SQLite is the embedded default; a PostgreSQL
 * implementation shares this interface (and the same test suite) so several scanner nodes can share one database.
 */
import type { RuleRole } from './rule-role.js';
import type { RunDelivery } from './run-delivery.js';
import type { AccountView } from '../model/account.js';
import type { NewScan, ScanEnd, ScanRecord, ScanSnapshot as SnapshotOf, ScanStatus, ScanTotals } from '../model/scan.js';

import type { AssetIndexRow, AssetView } from '../model/asset.js';
import type { HostKeyPin, HostKeyStore } from '../model/host-key.js';
import type { RunLease, RoleFence } from '../model/job.js';
import type { JobStore } from './jobs.js';
import type { UserStore } from './users.js';
import type { HostProfile } from '../profiles/fingerprint.js';
import type { PortResult } from '../scanner/engine/types.js';
import type { EnumerationRecord } from '../enum/types.js';
import type { StoredCredential } from '../vault/credentials.js';
import type { Change, MembershipKind, OnboardingState, StoredManaged, StoredMembership } from '../model/onboarding.js';

export type { NewScan, ScanEnd, ScanOwner, ScanRecord, ScanStatus, ScanTotals } from '../model/scan.js';
/** What one scan saw: open ports with their services, and OS, per address. */
export type ScanSnapshot = SnapshotOf<ScanRecord>;

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

export interface AccountFilter {
  readonly privileged?: boolean;
  readonly address?: string;
  /** Only accounts of these assets. */
  readonly assetIds?: readonly number[];
  /** Also accounts the latest enumeration of their asset no longer saw. */
  readonly includeGone?: boolean;
}

export interface StoredEnumeration extends EnumerationRecord {
  readonly scanId: number;
  readonly address: string;
}

/** A workgroup: the site whose scanner nodes rotate the accounts onboarded into it. */
export interface Workgroup {
  readonly name: string;
  readonly site: string;
  readonly description: string | null;
  readonly createdAt: string;
  /** Accounts managed in it. */
  readonly managed: number;
}

export interface StoredRuleSet {
  readonly id: number;
  readonly source: string;
  readonly text: string;
  readonly sha256: string;
  readonly storedAt: string;
}

export interface NewRuleRun {
  readonly startedAt: string;
  readonly finishedAt: string;
  /** The rule file, `stored rule set N`, `undo of run N`, or `workgroups move-accounts FROM TO`. */
  readonly source: string;
  /** `command`, `scan N`, `undo` or `move-accounts` (MOVE_TRIGGER). */
  readonly trigger: string;
  /** The addresses the run covered; null: the whole estate. */
  readonly scope: readonly string[] | null;
  readonly rules: ReadonlyArray<{ readonly name: string; readonly kind: string; readonly version: string }>;
  readonly summary: Readonly<Record<string, number>>;
  readonly undoes?: number;
}

/**
 * What a rule run was planned against. Two runs (two commands, or a command and a scan) read the state, plan, and
 * then take the write lock one after the other; the second one's plan is stale by then (it would onboard the
 * accounts the first one just onboarded). When the journal has moved past `journalHead`, the store reads the
 * onboarding state of `assetIds` (all when omitted) again while it holds the write lock, and writes what `replan`
 * makes of it instead.
 */
export interface RunBasis {
  readonly journalHead: number;
  readonly assetIds?: readonly number[];
  readonly replan: (current: OnboardingState) => { readonly run: NewRuleRun; readonly changes: readonly Change[] };
  /** Written under the Smart Rule role: refused (RoleLostError) once the role has changed hands since. */
  readonly fence?: RoleFence;
}

export interface RuleRunRecord extends NewRuleRun {
  readonly id: number;
  readonly undoneBy: number | null;
  readonly changes: number;
}

export interface ManagedAccountRecord extends StoredManaged {
  readonly onboardedAt: string;
  readonly updatedAt: string;
  /** The asset's address, and the account on it (`root (local)`; a key's fingerprint too). */
  readonly address: string;
  readonly account: string;
}

export interface Store extends HostKeyStore {
  /** Where the data lives, for messages (a path or a URL without its password). */
  readonly location: string;
  /** Records a running scan owned by this process. */
  createScan(scan: NewScan): Promise<number>;
  /**
   * Writes a batch of observations and the running totals (and so the heartbeat) in one transaction, with the
   * addresses settled so far (see ScanRecord.swept) when given.
   */
  recordHosts(scanId: number, hosts: readonly HostObservation[], totals: ScanTotals, swept?: readonly string[], lease?: RunLease): Promise<void>;
  /** Ends a scan; with a job run's lease, only while the run is still this worker's (see store/jobs.ts). */
  finishScan(scanId: number, status: Exclude<ScanStatus, 'running'>, totals: ScanTotals, finishedAt: string, end?: ScanEnd, lease?: RunLease): Promise<void>;
  /** A job run's scan taken over by this process (its previous worker was lost): running again, owned by us. */
  adoptScan(scanId: number, lease: RunLease): Promise<void>;
  /** Discovery jobs, their runs and units, and workers. */
  readonly jobs: JobStore;
  /** The web page's users, their sessions and login attempts, and the journal of what they did. */
  readonly users: UserStore;
  /** The Smart Rule role as `holder` would hold it: a session advisory lock on PostgreSQL, a lease row on SQLite. */
  ruleRole(holder: string, log?: (line: string) => void): RuleRole;
  /** How job runs reach workers: pg-boss queues on PostgreSQL, the job_runs table itself on SQLite. */
  runDelivery(log?: (line: string) => void): Promise<RunDelivery>;
  getScan(scanId: number): Promise<ScanRecord | undefined>;
  listScans(): Promise<ScanRecord[]>;
  /** Every asset, or those at `addresses`. */
  listAssets(addresses?: readonly string[]): Promise<AssetView[]>;
  /** Every asset's address, names, OS and first and last seen, without ports: to filter, sort and page (asset-index.ts). */
  assetIndex(): Promise<AssetIndexRow[]>;
  /** The assets with an open port of a service name or port number; `suspect` ones need listAssets to be sure. */
  openServiceAssets(match: { readonly service?: string; readonly port?: number }): Promise<Array<{ address: string; suspect: boolean }>>;
  /** The open ports, services and OS one scan recorded. */
  snapshot(scanId: number): Promise<ScanSnapshot | undefined>;
  saveCredential(credential: StoredCredential, replace: boolean): Promise<'added' | 'replaced'>;
  listCredentials(): Promise<StoredCredential[]>;
  getCredential(name: string): Promise<StoredCredential | undefined>;
  removeCredential(name: string): Promise<boolean>;
  /** Makes the offered keys of an address (one port, or all) the pinned ones; returns what changed. */
  acceptHostKeys(address: string, port?: number): Promise<Array<{ before: HostKeyPin; after: HostKeyPin }>>;
  listHostKeys(): Promise<HostKeyPin[]>;
  listAccounts(filter?: AccountFilter): Promise<AccountView[]>;
  /** The enumerations of an address in the most recent scan that enumerated it. */
  latestEnumerations(address: string): Promise<StoredEnumeration[]>;
  /** Writes a directory scan's server asset, enumeration, accounts and computers in one transaction. */
  recordDirectory(scanId: number, observation: DirectoryObservation): Promise<void>;
  listDirectoryComputers(domain?: string): Promise<DirectoryComputerView[]>;
  /** One fact's value (`facts.KEY.value`) per asset, from each asset's latest successful enumeration that has it. */
  latestFacts(key: string, assetIds?: readonly number[]): Promise<Array<{ assetId: number; address: string; scanId: number; value: unknown }>>;
  /** Installed packages per asset, from each asset's latest successful enumeration that listed them. */
  listSoftware(assetIds?: readonly number[]): Promise<Array<{ assetId: number; address: string; name: string; version: string; arch: string; manager: string; scanId: number }>>;
  addWorkgroup(name: string, site: string, description: string | null, at: string): Promise<void>;
  listWorkgroups(): Promise<Workgroup[]>;
  /** Stores a rule set as the active one (the previous one stays, inactive); returns its id. */
  saveRuleSet(source: string, text: string, sha256: string, at: string): Promise<number>;
  activeRuleSet(): Promise<StoredRuleSet | undefined>;
  /** Managed accounts and memberships of the given assets and their accounts (all when omitted). */
  onboardingState(assetIds?: readonly number[]): Promise<OnboardingState>;
  /** The id of the newest journal entry (0 when there is none): read before onboardingState, it dates that state. */
  journalHead(): Promise<number>;
  /**
   * Records a rule run and makes its changes, each with its journal entry, in one transaction; returns the run's id.
   * With a `basis`, a run planned against a state another run has changed since is planned again inside the
   * write transaction (see RunBasis), so it never writes a plan made against a state that is gone.
   */
  writeRuleRun(run: NewRuleRun, changes: readonly Change[], basis?: RunBasis): Promise<number>;
  /** Adds changes (webhook notifications that went through) to a recorded run. */
  appendChanges(runId: number, changes: readonly Change[], at: string): Promise<void>;
  listRuleRuns(): Promise<RuleRunRecord[]>;
  getRuleRun(id: number): Promise<RuleRunRecord | undefined>;
  /** A run's journal, in the order the changes were made. */
  runJournal(id: number): Promise<Array<Change & { at: string }>>;
  listManaged(): Promise<ManagedAccountRecord[]>;
  listMemberships(kind?: MembershipKind): Promise<StoredMembership[]>;
  close(): Promise<void>;
}
