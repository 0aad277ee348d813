/** An account as enumerations find it and the store keeps it: what account rules read. */
export const ACCOUNT_KINDS = ['local', 'ssh-key', 'domain', 'database'] as const;
export type AccountKind = (typeof ACCOUNT_KINDS)[number];

export interface AccountView {
  readonly id: number;
  readonly assetId: number;
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
  /** The enumeration that found it: ssh, ldap. */
  readonly method: string;
  readonly credential: string | null;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly lastScanId: number;
  /** Seen by the asset's latest successful enumeration (false: it was there before and is gone now). */
  readonly current: boolean;
}
