/** What a directory enumeration collects, in one shape for Active Directory and for generic LDAP (OpenLDAP). */

export type DirectoryKind = 'active-directory' | 'ldap';

export interface DirectoryUser {
  readonly dn: string;
  /** sAMAccountName, or uid (cn when an entry has no uid). */
  readonly name: string;
  /** Stable key: objectSid in AD, entryUUID or the DN elsewhere. */
  readonly key: string;
  readonly sid?: string;
  readonly uidNumber?: number;
  readonly gidNumber?: number;
  readonly upn?: string;
  readonly displayName?: string;
  readonly enabled: boolean;
  /** userAccountControl flags in AD; for LDAP the shadow/ppolicy state. */
  readonly flags: Readonly<Record<string, boolean>>;
  readonly passwordLastSet?: string;
  readonly lastLogon?: string;
  readonly adminCount?: number;
  readonly servicePrincipalNames: readonly string[];
  /** DNs of the groups that list this user directly (primary group included). */
  readonly memberOf: readonly string[];
  readonly attributes: Readonly<Record<string, unknown>>;
}

export interface DirectoryGroup {
  readonly dn: string;
  readonly name: string;
  readonly sid?: string;
  readonly gidNumber?: number;
  readonly objectClass: string;
  /** DNs of direct members (memberUid names resolved to user DNs; unresolved ones kept in `unresolved`). */
  readonly members: readonly string[];
  readonly unresolved: readonly string[];
}

export interface DirectoryComputer {
  readonly dn: string;
  readonly key: string;
  readonly name: string;
  readonly sid?: string;
  readonly dnsHostName?: string;
  readonly operatingSystem?: string;
  readonly operatingSystemVersion?: string;
  readonly lastLogon?: string;
  readonly enabled: boolean;
}

export interface PasswordPolicy {
  readonly minLength: number | null;
  readonly historyLength: number | null;
  readonly maxAgeDays: number | null;
  readonly minAgeDays: number | null;
  readonly complexity: boolean | null;
  readonly reversibleEncryption: boolean | null;
  readonly lockoutThreshold: number | null;
  readonly lockoutDurationMinutes: number | null;
  readonly lockoutWindowMinutes: number | null;
  /** Fine-grained policies (password settings objects) by name, with whom they apply to. */
  readonly fineGrained: ReadonlyArray<{ name: string; precedence: number | null; minLength: number | null; maxAgeDays: number | null; lockoutThreshold: number | null; appliesTo: string[] }>;
  readonly source: string;
}

export interface PrivilegedGroup {
  readonly dn: string;
  readonly name: string;
  /** Why the group counts as privileged (well-known SID, name, or the admin's --privileged-group). */
  readonly why: string;
}

export interface DirectoryInventory {
  readonly kind: DirectoryKind;
  readonly base: string;
  /** DNS name of the domain (AD) or of the base's DC components; null when the base has none. */
  readonly domain: string | null;
  readonly netbiosName?: string;
  readonly domainSid?: string;
  readonly users: readonly DirectoryUser[];
  readonly groups: readonly DirectoryGroup[];
  readonly computers: readonly DirectoryComputer[];
  readonly policy?: PasswordPolicy;
  readonly privilegedGroups: readonly PrivilegedGroup[];
  /** The searches that ran, with how many entries each returned. */
  readonly searches: ReadonlyArray<{ base: string; filter: string; entries: number; ms: number }>;
  readonly notes: readonly string[];
  /** Set when a server limit cut a search short. */
  readonly incomplete: readonly string[];
}
