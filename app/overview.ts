/** The overview of the estate: the counts a user looks at first, and the last job runs. */
import type { JobRunRecord } from '../model/job.js';
import type { Store } from '../store/store.js';

export interface OverviewCounts {
  readonly assets: number;
  /** Open ports in the assets' last known state. */
  readonly openServices: number;
  /** Accounts the latest enumeration of their asset saw (SSH keys included). */
  readonly accounts: number;
  readonly privileged: number;
  /** Privileged accounts not onboarded: the rows of `surveyor report unmanaged`. */
  readonly unmanagedPrivileged: number;
  /** Accounts onboarded into a workgroup (`surveyor report managed`). */
  readonly managed: number;
}

export interface Overview {
  readonly counts: OverviewCounts;
  readonly scans: number;
  /** When the newest data was collected (the latest scan that finished). */
  readonly dataAsOf: string | null;
  readonly lastRuns: readonly JobRunRecord[];
}

export async function overview(store: Store, lastRuns = 10): Promise<Overview> {
  const [assets, accounts, privileged, managed, scans, runs] = await Promise.all([
    store.listAssets(), store.listAccounts(), store.listAccounts({ privileged: true }), store.listManaged(), store.listScans(), store.jobs.listRuns({ limit: lastRuns }),
  ]);
  const isManaged = new Set(managed.map((m) => m.accountId));
  const finished = scans.map((s) => s.finishedAt).filter((f): f is string => f !== null).sort();
  return {
    counts: {
      assets: assets.length,
      openServices: assets.reduce((n, a) => n + a.ports.filter((p) => p.state === 'open').length, 0),
      accounts: accounts.length,
      privileged: privileged.length,
      unmanagedPrivileged: privileged.filter((a) => !isManaged.has(a.id)).length,
      managed: managed.length,
    },
    scans: scans.length,
    dataAsOf: finished.at(-1) ?? null,
    lastRuns: runs,
  };
}
