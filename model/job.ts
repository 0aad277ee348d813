/**
 * Discovery jobs: a stored scan definition with a schedule and a workgroup, its runs (each one scan record, split
 * into units of hosts so another worker can resume a run where it stopped), and the workers that run them.
 * States follow BeyondTrust's scan-job columns and runZero's task states.
 */

/** What a run scans: the scan options a user gives `surveyor scan`, kept as given. */
export interface JobDefinition {
  readonly targets: readonly string[];
  readonly exclude: readonly string[];
  /** The port spec as given (`default`, `22,80`, ...) and the ports it meant when the job was added. */
  readonly portSpec: string;
  readonly ports: readonly number[];
  readonly credentials: readonly string[];
  /** The sweep's tuning and the scan's other settings, as `surveyor scan` takes them. */
  readonly settings: JobScanSettings;
}

export interface JobScanSettings {
  readonly timeoutMs?: number;
  readonly minTimeoutMs?: number;
  readonly retries?: number;
  readonly concurrency?: number;
  readonly perHost?: number;
  readonly ratePerSec?: number;
  readonly threads?: number;
  readonly reportStates?: readonly ('closed' | 'filtered')[];
  readonly maxHosts?: number;
  readonly fingerprint: boolean;
  readonly reverseDns: boolean;
  readonly probeTimeoutMs: number;
  readonly enumTimeoutMs: number;
  readonly enumConcurrency: number;
  readonly snmpTimeoutMs?: number;
  readonly snmpRetries?: number;
  readonly snmpConcurrency?: number;
  /** The CA certificates (PEM) a directory's certificate must chain to: the file's text, kept, since another node has no such file. */
  readonly ldapCaPem?: string;
  /** The CA certificates (PEM) an MSSQL server's certificate must chain to. */
  readonly mssqlCaPem?: string;
  readonly allowPlaintextBind?: boolean;
}

/** When a job runs by itself: a cron expression (UTC), a fixed interval, or only when asked. */
export type JobSchedule = { readonly cron: string } | { readonly everyMs: number } | null;

export interface JobRecord {
  readonly id: number;
  readonly name: string;
  readonly definition: JobDefinition;
  /** The workgroup whose workers run it; null: any worker. */
  readonly workgroup: string | null;
  readonly schedule: JobSchedule;
  /** After each completed run, apply the stored rule set to the hosts it saw (`stored`), or not. */
  readonly applyRules: 'stored' | 'none';
  readonly paused: boolean;
  /** The next scheduled run; null when the job has no schedule or is paused. */
  readonly nextRunAt: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export const RUN_STATES = ['queued', 'running', 'completed', 'failed', 'interrupted', 'stalled'] as const;
export type RunState = (typeof RUN_STATES)[number];

/** What a user watches while a run goes on; written with every committed unit and every few seconds. */
export interface RunProgress {
  readonly hostsTotal: number;
  readonly hostsDone: number;
  readonly hostsFound: number;
  readonly openPorts: number;
  readonly accounts: number;
  /** Hosts per second over the run's working time so far; null before the first unit. */
  readonly ratePerSec: number | null;
  /** Estimated ms to the end at that rate; null when unknown. */
  readonly etaMs: number | null;
  readonly updatedAt: string;
}

export interface JobRunRecord {
  readonly id: number;
  readonly jobId: number;
  readonly job: string;
  readonly trigger: 'schedule' | 'command';
  readonly state: RunState;
  /** Why it ended as it did, or why it is stalled ("no live worker of workgroup west"). */
  readonly note: string | null;
  /** The worker running it (or that ran it last). */
  readonly worker: string | null;
  /** The fencing token: raised by every worker that takes the run; a write with an older one is refused. */
  readonly lease: number;
  readonly attempts: number;
  readonly scanId: number | null;
  readonly workgroup: string | null;
  readonly queuedAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly unitsTotal: number | null;
  readonly unitsDone: number;
  readonly progress: RunProgress | null;
  /** The Smart Rules after the run: not asked, waiting for the rule processor, applied (with the rule run), skipped. */
  readonly rules: 'none' | 'pending' | 'applied' | 'skipped';
  readonly ruleRunId: number | null;
}

/** A worker process as it announced itself, with its last heartbeat. */
export interface WorkerRecord {
  readonly name: string;
  /** The workgroups it serves; empty: only jobs without a workgroup. */
  readonly workgroups: readonly string[];
  readonly host: string;
  readonly pid: number;
  readonly startedAt: string;
  readonly heartbeatAt: string;
  readonly stoppedAt: string | null;
  /** Whether it holds the Smart Rule processor role (at its last heartbeat). */
  readonly rulesLeader: boolean;
}

/**
 * The Smart Rule role as one holder took it: `epoch` goes up each time the role changes hands, and every rule
 * write made under the role is refused once the stored epoch is no longer this one (the holder lost the role).
 */
export interface RoleFence {
  readonly holder: string;
  readonly epoch: number;
}

/** Who holds the Smart Rule role, as stored. */
export interface RoleHolder extends RoleFence {
  readonly since: string;
  /** SQLite's lease: when the holder's claim runs out unless renewed (null on PostgreSQL, where a session holds it). */
  readonly expiresAt: string | null;
}

/** A run's lease, checked inside every write a worker makes for the run. */
export interface RunLease {
  readonly runId: number;
  readonly lease: number;
}
