/**
 * What a credentialed enumeration of one host yields: facts (each with the command that produced it), accounts,
 * and a status from the probe vocabulary with notes that tell partial results apart.
 */
import type { AccountKind } from '../model/account.js';
import type { ProbeStatus } from '../model/evidence.js';

export interface AccountObservation {
  readonly kind: AccountKind;
  /**
   * Unique per asset and kind: the account name, or for an SSH key the user and the key's fingerprint, or for a
   * database account the method, port and account (`mysql:3306:user@host`).
   */
  readonly key: string;
  readonly name: string;
  /** uid for local accounts, SID for domain accounts and MSSQL logins, the role's oid for PostgreSQL. */
  readonly uid?: string;
  readonly privileged: boolean;
  /** Why the account is privileged, each with its source ("uid 0", "member of group sudo", a sudoers rule...). */
  readonly reasons: readonly string[];
  readonly enabled?: boolean;
  readonly lastLogon?: string;
  /** The source recorded that the account never logged on; with neither this nor `lastLogon`, it is unknown. */
  readonly neverLoggedOn?: boolean;
  readonly passwordLastSet?: string;
  readonly details: Readonly<Record<string, unknown>>;
  /** The command or query the account came from. */
  readonly source: string;
}

/** One collected fact: its value, or why it is missing, and the command that produced it. */
export interface Fact<T = unknown> {
  readonly source: string;
  readonly value?: T;
  readonly error?: string;
}

export interface EnumerationRecord {
  readonly method: 'ssh' | 'ldap' | 'snmp' | 'mysql' | 'postgres' | 'mssql';
  readonly port: number;
  readonly credential: string;
  readonly status: ProbeStatus;
  /** What was partial or refused, in words (never a secret). */
  readonly notes: readonly string[];
  readonly facts: Readonly<Record<string, Fact>>;
  readonly accounts: readonly AccountObservation[];
  readonly elapsedMs: number;
}
