/** A scan as it is recorded (what it was asked, who runs it, how far it got), what it covered and what it saw. */

/** Who runs a scan: host, PID and the PID's start time (so a recycled PID is not mistaken for the scan's process). */
export interface ScanOwner {
  readonly host: string;
  readonly pid: number;
  /** Field 22 of /proc/PID/stat (clock ticks after boot), or null where /proc is not there. */
  readonly startTicks: number | null;
}

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

export interface ScanRecord extends NewScan, ScanCoverage {
  readonly kind: 'network' | 'directory';
  readonly id: number;
  readonly finishedAt: string | null;
  /** The process running (or that ran) the scan; null for scans of earlier versions. */
  readonly owner: ScanOwner | null;
  /** The last time the running scan wrote or said it was alive. */
  readonly heartbeatAt: string | null;
  /** Why the scan ended as it did, when it did not complete (a signal, a closed pipe, a lost process). */
  readonly note: string | null;
  /**
   * The addresses the scan settled (swept, and stored when something was found), as `first-last` ranges, while
   * it runs and when it did not cover its targets (interrupted, or lost: then as last written, which may lag);
   * null when it covered all of them, and for directory scans.
   */
  readonly swept: readonly string[] | null;
  readonly status: ScanStatus;
  readonly totals: ScanTotals;
}

/** How a scan that did not complete ended. */
export interface ScanEnd {
  /** Why, in words: "SIGINT", "standard output was closed", "the database could not be written: ...". */
  readonly note?: string;
  /** The addresses the sweep finished, as `first-last` ranges (see ScanRecord.swept). */
  readonly swept?: readonly string[];
}


/**
 * The addresses and ports a scan looked at: its targets and ports less its exclusions, and, for a scan that did
 * not cover all its targets (interrupted, or lost), the addresses it settled as `first-last` ranges.
 */
export interface ScanCoverage {
  readonly targets: readonly string[];
  readonly exclusions: readonly string[];
  readonly ports: readonly number[];
  /** null when the scan covered all its targets. */
  readonly swept: readonly string[] | null;
}

/** What one scan saw of one host: its open ports with their services, its OS and its names. */
export interface SnapshotHost {
  readonly ports: ReadonlyMap<number, { service?: string | null; product?: string | null; version?: string | null }>;
  readonly os?: { family?: string; name?: string; version?: string };
  readonly names: readonly string[];
}

/** What one scan saw, per address; `S` is the scan's record (the store's carries more than its coverage). */
export interface ScanSnapshot<S extends ScanCoverage = ScanCoverage> {
  readonly scan: S;
  readonly hosts: ReadonlyMap<string, SnapshotHost>;
}
