/** What a scan covered and what it saw, as the comparison of two scans needs them. */

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
