/**
 * How job runs reach workers. The job_runs table is the record of every run (its state, lease, units, progress);
 * the delivery only decides which worker takes which run next. On SQLite, one machine, a worker takes the oldest
 * waiting run of its workgroups straight from the table; on PostgreSQL, pg-boss delivers them (boss-delivery.ts).
 */
import type { JobRunRecord, RunLease } from '../model/job.js';
import type { JobStore } from './jobs.js';

/** A run a worker has taken, with its lease raised, and the queue's side of it. */
export interface DeliveredRun {
  readonly run: JobRunRecord;
  readonly lease: RunLease;
  /**
   * Tells the queue this worker is done with the run: `finished` (completed, failed, interrupted, or taken over
   * by another worker) or `handed-back` (queued again, for the next worker).
   */
  settle(how: 'finished' | 'handed-back'): Promise<void>;
}

export interface RunDelivery {
  /** `table` (SQLite) or `pg-boss` (PostgreSQL), for the worker's log and `surveyor workers`. */
  readonly kind: 'table' | 'pg-boss';
  /** Offers every run waiting for a worker (queued or stalled) to the queue; offering one twice is harmless. */
  offer(): Promise<void>;
  /** The next run for a worker of these workgroups (null: jobs without one), taken; undefined when none waits. */
  take(worker: string, workgroups: readonly (string | null)[]): Promise<DeliveredRun | undefined>;
  close(): Promise<void>;
}

/** The table itself: the oldest queued or stalled run of the worker's workgroups. */
export class TableDelivery implements RunDelivery {
  readonly kind = 'table';

  constructor(private readonly jobs: JobStore) {}

  async offer(): Promise<void> {}

  async take(worker: string, workgroups: readonly (string | null)[]): Promise<DeliveredRun | undefined> {
    const taken = await this.jobs.takeRun(worker, workgroups, new Date().toISOString());
    return taken && { ...taken, settle: async () => {} };
  }

  async close(): Promise<void> {}
}
