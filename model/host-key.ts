/**
 * Host keys pinned on first use: the pin the store keeps, and the three operations the SSH enumerator needs of
 * whoever keeps the pins (the store is one).
 */

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

/** Where the SSH enumerator reads and records host key pins. */
export interface HostKeyStore {
  getHostKey(address: string, port: number): Promise<HostKeyPin | undefined>;
  /** Pins a key seen for the first time, or refreshes last_seen of the pinned one. */
  pinHostKey(address: string, port: number, algorithm: string, sha256: string, at: string): Promise<void>;
  /** Records a key that differs from the pinned one, for an admin to review and accept. */
  offerHostKey(address: string, port: number, algorithm: string, sha256: string, at: string): Promise<void>;
}
