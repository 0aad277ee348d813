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
  /** When the account last logged on; null when no time is known (then `neverLoggedOn` tells never from unknown). */
  readonly lastLogon: string | null;
  /** The source recorded that the account never logged on (lastlog's "**Never logged in**"); absent or false with
   * no `lastLogon`: nobody knows. */
  readonly neverLoggedOn?: boolean;
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

/** What is known of an account's last logon: a time, a recorded "never", or nothing at all. */
export type LogonState = 'logged-on' | 'never' | 'unknown';

export function logonState(a: Pick<AccountView, 'lastLogon' | 'neverLoggedOn'>): LogonState {
  return a.lastLogon ? 'logged-on' : a.neverLoggedOn ? 'never' : 'unknown';
}
